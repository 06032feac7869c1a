; The built-in demo ROM: what `x86lab` runs with no arguments. A 4 KiB real-mode image that
; the bare machine maps so that it ends at 1 MiB (and at 16 MiB / 4 GiB). The reset vector
; jumps to F000:start, which prints a greeting on the debug console (port 0xE9) and halts
; with interrupts disabled, which ends the run with exit code 0.
bits 16
org 0xF000

start:
        cli
        cld
        mov ax, cs
        mov ds, ax
        mov si, message
.next:
        lodsb
        test al, al
        jz .halt
        out 0xE9, al
        jmp .next
.halt:
        hlt
        jmp .halt

message:
        db "Hello from x86lab", 10
        db "(the built-in demo ROM on the bare machine; x86lab --help lists the options)", 10, 0

        times 0xFF0 - ($ - $$) db 0xF4     ; hlt
reset_vector:                              ; F000:FFF0 (FFFF:0000 on the 8086)
        jmp 0xF000:start
        times 0x1000 - ($ - $$) db 0xF4
