; The demo boot floppy (`make run`): a 1.44M image whose boot sector SeaBIOS loads at 0:7C00.
; It greets on the VGA text screen (INT 10h) and on COM1, shows the seconds since it booted in
; the top right corner, and echoes every key typed on the keyboard (INT 16h) or received on
; COM1 to both. Everything else on the disk is zeros: there is no file system.
;
; nasm -f bin -o demo_floppy.img demo_floppy.asm

bits 16
org 0x7C00

COM1            equ 0x3F8
BDA_TICKS       equ 0x046C          ; dword: timer ticks since midnight, 18.2065 Hz
COUNTER_COLUMN  equ 66

start:
        cli
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7C00
        sti
        cld

        mov ax, 0x0003              ; 80x25 colour text; clears the screen
        int 0x10
        mov ax, 0x00E3              ; COM1: 9600 baud, no parity, one stop bit, 8 bits
        xor dx, dx
        int 0x14

        mov si, banner
        call print
        mov eax, [BDA_TICKS]
        mov [boot_ticks], eax

main_loop:
        call show_counter
        hlt                         ; until the next interrupt (timer, keyboard, COM1)

        mov ah, 0x01                ; a key waiting?
        int 0x16
        jz .serial
        xor ah, ah
        int 0x16
        call echo
        jmp main_loop
.serial:
        mov dx, COM1 + 5            ; line status: data ready?
        in al, dx
        test al, 0x01
        jz main_loop
        mov dx, COM1
        in al, dx
        call echo
        jmp main_loop

; Echoes the character in AL: Enter as a new line and a prompt, Backspace erases.
echo:
        cmp al, 0x0D
        je .enter
        cmp al, 0x0A
        je .enter
        cmp al, 0x08
        je .backspace
        cmp al, 0x7F
        je .backspace
        cmp al, 0x20
        jb .done                    ; other control characters: ignored
        jmp put_char
.enter:
        mov si, prompt
        jmp print
.backspace:
        mov si, erase
        jmp print
.done:
        ret

; Prints the zero-terminated string at DS:SI on the screen and on COM1.
print:
        lodsb
        test al, al
        jz .done
        call put_char
        jmp print
.done:
        ret

; Puts AL on the screen (teletype) and sends it on COM1.
put_char:
        push ax
        mov ah, 0x0E
        mov bx, 0x0007
        int 0x10
        mov dx, COM1 + 5
.wait:
        in al, dx                   ; transmitter holding register empty?
        test al, 0x20
        jz .wait
        pop ax
        mov dx, COM1
        out dx, al
        ret

; Writes "uptime NNNNN s" straight into video memory at the top right.
show_counter:
        mov eax, [BDA_TICKS]
        sub eax, [boot_ticks]
        jns .positive
        add eax, 1573040            ; the tick count wrapped at midnight
.positive:
        mov ecx, 10000
        mul ecx
        mov ecx, 182065             ; ticks * 10000 / 182065 = seconds
        div ecx
        push es
        push word 0xB800
        pop es
        mov di, (COUNTER_COLUMN + 11) * 2  ; the last digit's cell
        mov cx, 5
        mov bx, 10
.digit:
        xor dx, dx
        div bx                      ; AX < 65536 for 18 hours: the low word is enough
        add dl, '0'
        mov dh, 0x1F                ; white on blue
        mov [es:di], dx
        sub di, 2
        loop .digit
        mov si, uptime
        mov di, COUNTER_COLUMN * 2
        mov ah, 0x1F
.label:
        lodsb
        test al, al
        jz .unit
        stosw
        jmp .label
.unit:
        mov word [es:(COUNTER_COLUMN + 12) * 2], 0x1F00 | ' '
        mov word [es:(COUNTER_COLUMN + 13) * 2], 0x1F00 | 's'
        pop es
        ret

banner  db "x86lab demo floppy: a boot sector running on SeaBIOS.", 13, 10
        db "Type on the keyboard or into COM1: keys are echoed here and on COM1.", 13, 10
prompt  db 13, 10, "> ", 0
erase   db 8, " ", 8, 0
uptime  db "uptime ", 0

boot_ticks dd 0

        times 510 - ($ - $$) db 0
        dw 0xAA55

        times 1474560 - ($ - $$) db 0
