; Self-modifying code: copies a routine to RAM at 0000:1000 and runs it. There, an instruction
; patches the immediate of the very next instruction, which must then execute with the new
; value (on every x86 since the Pentium, and in x86lab, which drops decoded blocks on a write
; to their page). The routine runs five times, so the second patch hits a block that was
; already decoded and run. Then the routine patches a later instruction's opcode byte.
; Prints "smc: PASS" and exits with 0 (exit code 1), or "smc: FAIL" and 1 (exit code 3).
%include "rom.inc"

RAM_BASE equ 0x1000
%define RAM(label) (RAM_BASE + (label) - ram_code)

start:
        cli
        cld
        mov ax, cs
        mov ds, ax
        xor ax, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x8000
        ; copy the routine to RAM
        mov si, ram_code
        mov di, RAM_BASE
        mov cx, ram_code_end - ram_code
        rep movsb
        ; run it from RAM with DS = 0 so it can address its own bytes
        xor ax, ax
        mov ds, ax
        call 0x0000:RAM_BASE
        mov ax, cs
        mov ds, ax
        cmp bx, 0x1234
        jne fail
        cmp dx, 5
        jne fail
        PRINT pass_message
        EXIT 0
fail:
        mov ax, cs
        mov ds, ax
        PRINT fail_message
        EXIT 1

pass_message: db "smc: PASS", 10, 0
fail_message: db "smc: FAIL", 10, 0

; Position-dependent code that runs at 0000:RAM_BASE.
ram_code:
        mov cx, 5
        xor dx, dx
.again:
        mov al, cl
        mov [RAM(.patched) + 1], al     ; the immediate of the next instruction
.patched:
        mov bl, 0                       ; B3 imm8: must load CL, not 0
        cmp bl, cl
        jne .bad
        inc dx
        loop .again
        ; Patch a NOP pair ahead into "mov bh, 0x12": BX = 0x1234 only if it runs.
        mov bx, 0x0034
        mov word [RAM(.opcode)], 0x12B7 ; B7 12 = mov bh, 0x12
.opcode:
        nop
        nop
        retf
.bad:
        xor dx, dx
        retf
ram_code_end:

        ROM_END
