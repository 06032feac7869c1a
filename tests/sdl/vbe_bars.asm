; A boot floppy (one sector, padded to a 1.44M image by meson) that asks the VGA BIOS for a
; VBE mode with a linear framebuffer at 800x600 and 32 bpp (found by walking the mode list
; with 4F01), then draws four horizontal bars through the banked window (4F05) in real mode:
; rows 0-149 red, 150-299 green, 300-449 blue, 450-599 white, with a black 8x8 square at
; (100,100). Then it halts. On any failure it prints "VBE FAIL" in text mode and halts.
; tests/sdl/sdl_window.py checks the screenshot.
bits 16
org 0x7C00

WIDTH  equ 800
HEIGHT equ 600

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7C00
    sti
    ; VBE controller info at 0x8000 gives the mode list.
    mov ax, 0x4F00
    mov di, 0x8000
    int 0x10
    cmp ax, 0x004F
    jne fail
    lds si, [0x8000 + 14]          ; VideoModePtr
.next_mode:
    lodsw
    cmp ax, 0xFFFF
    je fail
    mov cx, ax
    push ds
    push si
    xor ax, ax
    mov ds, ax
    mov ax, 0x4F01                 ; mode info at 0x9000
    mov di, 0x9000
    int 0x10
    pop si
    pop ds
    cmp ax, 0x004F
    jne .next_mode
    cmp word [es:0x9000 + 18], WIDTH
    jne .next_mode
    cmp word [es:0x9000 + 20], HEIGHT
    jne .next_mode
    cmp byte [es:0x9000 + 25], 32
    jne .next_mode
    xor ax, ax
    mov ds, ax
    mov [mode], cx
    mov ax, 0x4F02
    mov bx, cx                     ; banked (window) access, clear the screen
    int 0x10
    cmp ax, 0x004F
    jne fail
    ; Window A's segment and granularity (KiB) from the mode info.
    mov ax, [0x9000 + 8]
    mov [win_seg], ax
    mov ax, [0x9000 + 4]
    mov [gran], ax

    ; Pixel loop: for each y, x compute the colour and store at linear offset
    ; (y * pitch + x * 4); pitch = BytesPerScanLine at +16.
    xor ebp, ebp                   ; y
.row:
    xor edi, edi                   ; x
.pixel:
    ; colour by band
    mov eax, 0x00FF0000
    cmp ebp, 150
    jb .have
    mov eax, 0x0000FF00
    cmp ebp, 300
    jb .have
    mov eax, 0x000000FF
    cmp ebp, 450
    jb .have
    mov eax, 0x00FFFFFF
.have:
    cmp ebp, 100
    jb .store
    cmp ebp, 108
    jae .store
    cmp edi, 100
    jb .store
    cmp edi, 108
    jae .store
    xor eax, eax
.store:
    mov [color], eax
    movzx eax, word [0x9000 + 16]
    imul eax, ebp
    lea eax, [eax + edi * 4]       ; linear byte offset
    mov ebx, eax
    shr eax, 10                    ; KiB
    xor edx, edx
    movzx ecx, word [gran]
    div ecx                        ; eax = bank (window position in granularity units)
    push ebx
    cmp ax, [bank]
    je .same
    mov [bank], ax
    mov dx, ax
    mov ax, 0x4F05
    xor bx, bx
    int 0x10
.same:
    pop ebx
    ; offset within the window: linear - bank * gran * 1024
    movzx eax, word [bank]
    movzx ecx, word [gran]
    imul eax, ecx
    shl eax, 10
    sub ebx, eax
    push es
    mov ax, [win_seg]
    mov es, ax
    mov eax, [color]
    mov [es:bx], eax
    pop es
    inc edi
    cmp edi, WIDTH
    jb .pixel
    inc ebp
    cmp ebp, HEIGHT
    jb .row
.done:
    cli
    hlt
    jmp .done

fail:
    xor ax, ax
    mov ds, ax
    mov ax, 0x0003
    int 0x10
    mov si, msg
.print:
    lodsb
    test al, al
    jz .done
    mov ah, 0x0E
    xor bx, bx
    int 0x10
    jmp .print
.done:
    cli
    hlt
    jmp .done

msg db "VBE FAIL", 0
mode dw 0
win_seg dw 0
gran dw 0
bank dw 0xFFFF
color dd 0

times 510 - ($ - $$) db 0
dw 0xAA55
