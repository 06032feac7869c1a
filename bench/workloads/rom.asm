; A workload as a ROM for x86lab's bare machine: copies the boot sector (BOOT_IMAGE, built
; from boot.asm) to 0000:7C00 and jumps there, as a BIOS would, so x86lab runs the same
; bytes at the same addresses as Bochs and QEMU. 4 KiB, mapped to end at 1 MiB and 4 GiB.
; nasm -f bin -DBOOT_IMAGE='"reg_loop.boot"' rom.asm -o reg_loop.rom
bits 16
org 0xF000

start:
        cli
        cld
        mov ax, cs
        mov ds, ax
        xor ax, ax
        mov es, ax
        mov si, boot_image
        mov di, 0x7C00
        mov cx, 256
        rep movsw
        jmp 0:0x7C00

boot_image:
        incbin BOOT_IMAGE
        times 0xFF0 - ($ - $$) db 0xF4  ; hlt
reset_vector:                           ; F000:FFF0, and FFFFFFF0 at reset
        jmp 0xF000:start
        times 0x1000 - ($ - $$) db 0xF4
