; A loop run 1000 times: LOOP with CX, a memory counter in RAM and a register sum, all checked
; at the end. Prints "loop: PASS" and exits with 0 (exit code 1), or "loop: FAIL" and 1 (3).
%include "rom.inc"

COUNTER equ 0x2000

start:
        cli
        cld
        xor ax, ax
        mov es, ax
        mov word [es:COUNTER], 0
        mov cx, 1000
        xor dx, dx
.body:
        inc word [es:COUNTER]
        add dx, 3
        loop .body
        mov ax, cs
        mov ds, ax
        cmp word [es:COUNTER], 1000
        jne .fail
        cmp dx, 3000
        jne .fail
        test cx, cx
        jne .fail
        PRINT pass_message
        EXIT 0
.fail:
        PRINT fail_message
        EXIT 1

pass_message: db "loop: PASS", 10, 0
fail_message: db "loop: FAIL", 10, 0

        ROM_END
