; Instructions whose stack pointer arithmetic depends on the stack size (SS.B) rather than the
; operand size, found by test386.asm (POST 09 and 1A):
; - POP SS moves the stack pointer by the old SS's size: an o32 POP SS on a 16-bit stack wraps
;   SP and keeps ESP's upper half, even when the selector it loads is a 32-bit segment.
; - ENTER with a 32-bit operand takes FrameTemp from the whole ESP, also on a 16-bit stack.
; - ENTER's check of its final stack pointer is a write: #PF with the W bit.
%include "pm.inc"

        PROGRAM "pm_stack_size"

        GDT_BEGIN
SEL_DATA16    equ $ - gdt_start      ; 16-bit (B=0) data, base 0, limit 4 GiB
        DESC 0, 0xFFFFF, ACC_DATA, 0x80
SEL_STACK16   equ $ - gdt_start      ; 16-bit (B=0) data, base SCRATCH, limit 64 KiB
        DESC SCRATCH, 0xFFFF, ACC_DATA, 0
        GDT_END

PD              equ 0x40000
PT0             equ 0x41000
RO_PAGE         equ 0x52000               ; supervisor read-only (with CR0.WP)
CR0_PG          equ 1 << 31
CR0_WP          equ 1 << 16

bits 32
test_main:
        ; ---- POP SS: old SS 16-bit, new SS 32-bit ----
        mov ebx, esp
        mov word [0xFFFC], SEL_KDATA
        mov word [0xFFFE], 0
        mov ax, SEL_DATA16
        mov ss, ax
        mov esp, 0x2FFFC
        o32 pop ss                        ; SP FFFC + 4 wraps to 0
        mov ecx, esp
        mov dx, ss
        mov ss, dx
        mov esp, ebx
        CHECK_EQ ecx, 0x20000, "o32 POP SS on a 16-bit stack wraps SP, keeps ESP[31:16]"
        movzx edx, dx
        CHECK_EQ edx, SEL_KDATA, "o32 POP SS loads the selector"

        ; and the reverse: old SS 32-bit, new SS 16-bit
        mov dword [0x2FFFC], SEL_DATA16
        mov esp, 0x2FFFC
        o32 pop ss                        ; ESP + 4, not SP
        mov ecx, esp
        mov ax, SEL_KDATA
        mov ss, ax
        mov esp, ebx
        CHECK_EQ ecx, 0x30000, "o32 POP SS on a 32-bit stack moves all of ESP"

        ; ---- ENTER: FrameTemp is ESP with a 32-bit operand ----
        mov edi, ebp
        mov ax, SEL_STACK16
        mov ss, ax
        mov esp, 0x1FFF0                  ; SP = FFF0
        mov ebp, 0x12345678
        o32 enter 8, 0
        mov ecx, ebp
        mov edx, esp
        mov eax, [SCRATCH + 0xFFEC]       ; the pushed EBP
        mov si, SEL_KDATA
        mov ss, si
        mov esp, ebx
        mov ebp, edi
        CHECK_EQ ecx, 0x1FFEC, "o32 ENTER on a 16-bit stack: EBP = ESP, upper half kept"
        CHECK_EQ edx, 0x1FFE4, "o32 ENTER on a 16-bit stack: ESP - 4 - 8 in SP"
        CHECK_EQ eax, 0x12345678, "o32 ENTER on a 16-bit stack pushes EBP at SS:SP-4"

        mov ax, SEL_STACK16
        mov ss, ax
        mov esp, 0x1FFF0
        mov ebp, 0xAAAA1234
        o16 enter 8, 1                    ; pushes BP, then FrameTemp (SP)
        mov ecx, ebp
        mov edx, esp
        movzx eax, word [SCRATCH + 0xFFEC]
        mov si, SEL_KDATA
        mov ss, si
        mov esp, ebx
        mov ebp, edi
        CHECK_EQ ecx, 0xAAAAFFEE, "o16 ENTER: BP = SP, EBP[31:16] kept"
        CHECK_EQ edx, 0x1FFE4, "o16 ENTER 8,1: SP - 2 - 2 - 8"
        CHECK_EQ eax, 0xFFEE, "o16 ENTER 8,1 pushes the frame pointer"

        ; ---- ENTER: the final stack pointer is checked for a write ----
        mov edi, PT0
        mov eax, 3                        ; present, writable, supervisor
        mov ecx, 1024
.fill:
        stosd
        add eax, 0x1000
        loop .fill
        mov dword [PT0 + (RO_PAGE >> 12) * 4], RO_PAGE | 1
        mov edi, PD
        mov ecx, 1024
        xor eax, eax
        rep stosd
        mov dword [PD], PT0 | 3
        mov eax, PD
        mov cr3, eax
        mov eax, cr0
        or eax, CR0_PG | CR0_WP
        mov cr0, eax
        jmp .paged
.paged:
        mov edi, ebp
        ; EBP goes to the writable page above, and so does the fault's frame
        mov esp, RO_PAGE + 0x1100
        mov ebp, 0x5A5A5A5A
        EXPECT_FAULT "ENTER whose final ESP is in a read-only page is #PF(3)", 14, 3, enter 0x110, 0
        mov ecx, esp
        mov edx, ebp
        mov esp, ebx
        mov ebp, edi
        mov eax, cr2
        CHECK_EQ eax, RO_PAGE + 0xFEC, "ENTER's #PF reports the final stack pointer in CR2"
        CHECK_EQ ecx, RO_PAGE + 0x1100, "ENTER that faults leaves ESP as it was"
        CHECK_EQ edx, 0x5A5A5A5A, "ENTER that faults leaves EBP as it was"
        mov eax, cr0
        and eax, ~(CR0_PG | CR0_WP)
        mov cr0, eax
        jmp finish

        ROM_END
