; A 4 KiB BIOS image for the pc machine (--bios) that the data-safety test runs: it writes a
; known pattern to LBA 1 of the primary master with ATA PIO (WRITE SECTORS), issues FLUSH
; CACHE, says on the debug console (port 0xE9) whether both succeeded, and then spins with
; interrupts off, so the test can kill the process while the guest is still running.
;
; The pattern: word i of the sector (i = 0..255) is 0xA500 | i, so byte 2i is i and byte
; 2i+1 is 0xA5. A write-protected disk fails the command with ERR (ABRT): the guest reports it.
bits 16
org 0xF000

ATA_DATA    equ 0x1F0
ATA_COUNT   equ 0x1F2
ATA_LBA0    equ 0x1F3
ATA_LBA1    equ 0x1F4
ATA_LBA2    equ 0x1F5
ATA_DRIVE   equ 0x1F6
ATA_COMMAND equ 0x1F7   ; status when read
STATUS_BSY  equ 0x80
STATUS_DRQ  equ 0x08
STATUS_ERR  equ 0x01

start:
    cli
    mov dx, ATA_DRIVE
    mov al, 0xE0            ; LBA, master
    out dx, al
    call wait_ready
    jc failed
    mov dx, ATA_COUNT
    mov al, 1
    out dx, al
    mov dx, ATA_LBA0
    mov al, 1
    out dx, al
    xor al, al
    mov dx, ATA_LBA1
    out dx, al
    mov dx, ATA_LBA2
    out dx, al
    mov dx, ATA_COMMAND
    mov al, 0x30            ; WRITE SECTORS
    out dx, al
.wait_drq:
    in al, dx
    test al, STATUS_ERR
    jnz failed
    test al, STATUS_BSY
    jnz .wait_drq
    test al, STATUS_DRQ
    jz .wait_drq
    mov dx, ATA_DATA
    xor cx, cx
.next_word:
    mov ax, cx
    mov ah, 0xA5
    out dx, ax
    inc cx
    cmp cx, 256
    jne .next_word
    call wait_ready
    jc failed
    mov dx, ATA_COMMAND
    mov al, 0xE7            ; FLUSH CACHE
    out dx, al
    call wait_ready
    jc failed
    mov si, written
    jmp report
failed:
    mov si, write_failed
report:
    mov dx, 0xE9
.next_char:
    mov al, [cs:si]
    inc si
    test al, al
    jz spin
    out dx, al
    jmp .next_char
spin:
    jmp spin

; Waits until the drive is not busy; carry set when it reports an error.
wait_ready:
    push dx
    mov dx, ATA_COMMAND
.poll:
    in al, dx
    test al, STATUS_BSY
    jnz .poll
    pop dx
    test al, STATUS_ERR
    jnz .error
    clc
    ret
.error:
    stc
    ret

written:      db "data-safety: written and flushed", 10, 0
write_failed: db "data-safety: write failed", 10, 0

    times 0xFF0 - ($ - $$) db 0xF4
reset_vector:
    jmp 0xF000:start
    times 0x1000 - ($ - $$) db 0xF4
