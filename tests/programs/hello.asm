; Prints "Hello from x86lab" on the debug console and halts with interrupts disabled: the run
; ends with exit code 0 and "guest halted with interrupts disabled" on stderr. What
; `make run` shows.
%include "rom.inc"

start:
        cli
        cld
        mov ax, cs
        mov ds, ax
        PRINT message
.halt:  hlt
        jmp .halt

message: db "Hello from x86lab", 10, 0

        ROM_END
