; A boot floppy (one sector, padded by sdl_window.py) that sets a VBE mode no mode list has,
; 1000x700 at 32 bpp, straight through the Bochs DISPI registers (0x1CE/0x1CF), and draws into
; the linear framebuffer: BAR0 of the VGA (PCI 1234:1111, found with configuration mechanism
; 1), written with 32-bit addresses from real mode (FS loaded with a 4 GiB limit in protected
; mode, then real mode again: "unreal mode"). Picture: four quadrants, red (top left), green
; (top right), blue (bottom left), white (bottom right), a black 10x10 square in the bottom
; right corner. Then it halts with interrupts off. tests/sdl/sdl_window.py (case lfb) checks
; the screenshot; on failure the screen stays in text mode and the test sees 720x400.
bits 16
org 0x7C00

WIDTH  equ 1000
HEIGHT equ 700

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    ; The VGA's BAR0: bus 0, function 0 of each device, vendor/device dword 0x11111234.
    xor ebx, ebx
.find:
    mov eax, ebx
    shl eax, 11
    or eax, 0x80000000
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    in eax, dx
    cmp eax, 0x11111234
    je .found
    inc ebx
    cmp ebx, 32
    jb .find
    jmp halt
.found:
    mov eax, ebx
    shl eax, 11
    or eax, 0x80000010
    mov dx, 0xCF8
    out dx, eax
    mov dx, 0xCFC
    in eax, dx
    and eax, 0xFFFFFFF0
    mov [lfb], eax

    ; DISPI: disable, 1000x700x32, enable with the linear framebuffer (and cleared memory).
    mov bx, 4
    xor cx, cx
    call dispi
    mov bx, 1
    mov cx, WIDTH
    call dispi
    mov bx, 2
    mov cx, HEIGHT
    call dispi
    mov bx, 3
    mov cx, 32
    call dispi
    mov bx, 4
    mov cx, 0x41
    call dispi

    ; Unreal mode: FS with a 4 GiB limit.
    lgdt [gdt_descriptor]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp .pm
.pm:
    mov bx, 8
    mov fs, bx
    and al, 0xFE
    mov cr0, eax
    jmp 0:.real
.real:
    xor ax, ax
    mov fs, ax

    mov edi, [lfb]
    xor ebp, ebp                   ; y
.row:
    xor esi, esi                   ; x
.pixel:
    mov eax, 0x00FF0000            ; red
    cmp esi, WIDTH / 2
    jb .left
    mov eax, 0x0000FF00            ; green
.left:
    cmp ebp, HEIGHT / 2
    jb .have
    mov eax, 0x000000FF            ; blue
    cmp esi, WIDTH / 2
    jb .have
    mov eax, 0x00FFFFFF            ; white
    cmp esi, WIDTH - 10
    jb .have
    cmp ebp, HEIGHT - 10
    jb .have
    xor eax, eax                   ; the black corner square
.have:
    mov [fs:edi], eax
    add edi, 4
    inc esi
    cmp esi, WIDTH
    jb .pixel
    inc ebp
    cmp ebp, HEIGHT
    jb .row
halt:
    cli
    hlt
    jmp halt

; BX = DISPI index, CX = value.
dispi:
    mov dx, 0x1CE
    mov ax, bx
    out dx, ax
    mov dx, 0x1CF
    mov ax, cx
    out dx, ax
    ret

align 8
gdt:
    dq 0
    dq 0x00CF92000000FFFF          ; data, base 0, limit 4 GiB, 4 KiB granularity
gdt_descriptor:
    dw gdt_descriptor - gdt - 1
    dd gdt
lfb dd 0

times 510 - ($ - $$) db 0
dw 0xAA55
