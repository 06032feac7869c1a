; The program the gdb test debugs. One source gives both files: nasm -f elf32 with DWARF, ld
; at 0xFF000 (the ROM's last 4 KiB below 1 MiB) for gdb's symbols, objcopy -O binary for the
; 4 KiB ROM. It enters flat 32-bit protected mode, so gdb's EIP is the linear address, then
; calls bump five times, each adding one to the counter at 0x1000. It exits through port 0xF4
; with 0 (exit code 1) when gdb set EBX to 0x1234 on the way, else 1 (exit code 3).
COUNTER equ 0x1000
ROM_SEGMENT equ 0xF000              ; CS in real mode: the section starts at 0xF000:0xF000

section .text
bits 16
real_start:
        cli
        o32 lgdt [cs:0xF000 + gdt_pointer - $$]
        mov eax, cr0
        or al, 1
        mov cr0, eax
        db 0x66, 0xEA               ; jmp dword 0x08:pm_start (nasm's ELF output drops a
        dd pm_start                 ; far jump's constant selector, so it is spelled out)
        dw 0x08

align 8
gdt:    dq 0
        dq 0x00CF9A000000FFFF       ; 0x08: flat 32-bit code
        dq 0x00CF92000000FFFF       ; 0x10: flat data
gdt_pointer:
        dw 3 * 8 - 1
        dd gdt

bits 32
global real_start, pm_start, bump, main_loop, finish
pm_start:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov esp, 0x9000
        mov dword [COUNTER], 0
        xor ebx, ebx
        mov ecx, 5
main_loop:
        call bump
        dec ecx
        jnz main_loop
finish:
        cmp dword [COUNTER], 5
        jne .fail
        cmp ebx, 0x1234
        jne .fail
        mov al, 0
        out 0xF4, al
.fail:
        mov al, 1
        out 0xF4, al
        hlt

bump:
        inc dword [COUNTER]
        ret

        times 0xFF0 - ($ - $$) db 0xF4
reset_vector:                       ; F000:FFF0, and 0xFFFFFFF0 on a 386
        db 0xEA                     ; jmp ROM_SEGMENT:real_start
        dw 0xF000 + real_start - $$
        dw ROM_SEGMENT
        times 0x1000 - ($ - $$) db 0xF4
