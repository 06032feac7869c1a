; Triple fault: prints "boot", loads an empty interrupt vector table (limit 0) and raises
; INT 3. The #GP for the vector beyond the limit cannot be delivered either, nor the double
; fault: the CPU shuts down. With --no-reboot the run ends (exit code 1); without it the
; machine resets the CPU, the ROM prints "boot" again, and after three quick shutdowns in a
; row the machine gives up (exit code 1). Needs a 286 or later (the 8086 has no IDT limit).
%include "rom.inc"

start:
        cli
        mov ax, cs
        mov ds, ax
        PRINT message
        lidt [empty_ivt]
        int3
        PRINT not_reached
        EXIT 1

empty_ivt:   dw 0            ; limit
             dd 0            ; base
message:     db "boot", 10, 0
not_reached: db "INT 3 returned", 10, 0

        ROM_END
