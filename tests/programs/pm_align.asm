; Alignment checking (Intel SDM vol. 3, 6.15 "Interrupt 17"): with CR0.AM = 1, EFLAGS.AC = 1 and
; CPL 3, a misaligned data access is #AC(0), a fault before the access. Words must be 2-aligned,
; dwords 4-aligned, 8-byte operands (CMPXCHG8B, x87 m64 and m80) 8-aligned, and the FSAVE area
; 4-aligned with a 32-bit operand size. Nothing is checked with AM or AC clear, or at CPL 0.
%include "pm.inc"

        PROGRAM "pm_align"

        GDT_BEGIN
        GDT_END

DATA            equ SCRATCH               ; 16-aligned
CR0_AM          equ 1 << 18
EFLAGS_AC       equ 1 << 18
FLAGS_AC        equ 0x2 | EFLAGS_AC
FLAGS_NOAC      equ 0x2

; R3 "name", vector, error, label, flags: runs ring-3 code at label (ending at label.resume,
; where the handler also resumes after a fault) with EFLAGS flags, then checks the fault.
%macro R3 5
        ARM_FAULT %4.resume
        mov eax, %4
        mov ebx, %5
        call enter_ring3
        CHECK_FAULT %1, %2, %3
%endmacro

bits 32
test_main:
        fninit
        mov eax, cr0
        or eax, CR0_AM
        and eax, ~0xC                   ; EM, TS clear: the x87 runs
        mov cr0, eax

        R3 "word read at an odd address is #AC(0)", 17, 0, r3_word_odd, FLAGS_AC
        CHECK_EQ dword [fault_eip], r3_word_odd, "#AC is a fault: EIP of the access"
        R3 "word read at an even address is fine", NONE, NONE, r3_word_even, FLAGS_AC
        R3 "dword read at offset 2 is #AC(0)", 17, 0, r3_dword_2, FLAGS_AC
        R3 "dword read at offset 4 is fine", NONE, NONE, r3_dword_4, FLAGS_AC
        R3 "byte reads are never misaligned", NONE, NONE, r3_byte, FLAGS_AC
        mov dword [DATA + 0x20], 0x11223344
        R3 "dword write at offset 1 is #AC(0)", 17, 0, r3_write_1, FLAGS_AC
        CHECK_EQ dword [DATA + 0x20], 0x11223344, "the faulting write changed nothing"
        R3 "a PUSH with ESP at offset 2 is #AC(0)", 17, 0, r3_push, FLAGS_AC
        R3 "a word PUSH with ESP at offset 2 is fine", NONE, NONE, r3_push16, FLAGS_AC
        R3 "CMPXCHG8B at offset 4 is #AC(0)", 17, 0, r3_cx8_4, FLAGS_AC
        R3 "CMPXCHG8B at offset 8 is fine", NONE, NONE, r3_cx8_8, FLAGS_AC
        R3 "FLD qword at offset 4 is #AC(0)", 17, 0, r3_fld64_4, FLAGS_AC
        R3 "FLD dword at offset 4 is fine", NONE, NONE, r3_fld32_4, FLAGS_AC
        R3 "FSTP tword at offset 4 is #AC(0)", 17, 0, r3_fstp80_4, FLAGS_AC
        R3 "FILD qword at offset 8 is fine", NONE, NONE, r3_fild64_8, FLAGS_AC
        R3 "FNSAVE (32-bit) at offset 4 is fine", NONE, NONE, r3_fsave_4, FLAGS_AC
        R3 "FNSAVE (32-bit) at offset 2 is #AC(0)", 17, 0, r3_fsave_2, FLAGS_AC
        R3 "POPFD setting AC in ring 3 turns checking on", 17, 0, r3_popf_ac, FLAGS_NOAC
        R3 "with AC clear nothing is checked", NONE, NONE, r3_word_odd, FLAGS_NOAC
        ; CPL 0 is never checked
        pushfd
        or dword [esp], EFLAGS_AC
        popfd
        EXPECT_FAULT "CPL 0 with AM and AC: a misaligned dword is fine", NONE, NONE, mov eax, [DATA + 3]
        pushfd
        and dword [esp], ~EFLAGS_AC
        popfd
        ; AM clear
        mov eax, cr0
        and eax, ~CR0_AM
        mov cr0, eax
        R3 "with CR0.AM clear nothing is checked", NONE, NONE, r3_word_odd, FLAGS_AC
        mov eax, cr0
        or eax, CR0_AM
        mov cr0, eax
        R3 "setting CR0.AM again: #AC again", 17, 0, r3_dword_2, FLAGS_AC
        jmp finish

; ---- ring-3 code ----
r3_word_odd:
        mov ax, [DATA + 1]
.resume:
        int RING0_RETURN_VECTOR
r3_word_even:
        mov ax, [DATA + 2]
.resume:
        int RING0_RETURN_VECTOR
r3_dword_2:
        mov eax, [DATA + 2]
.resume:
        int RING0_RETURN_VECTOR
r3_dword_4:
        mov eax, [DATA + 4]
.resume:
        int RING0_RETURN_VECTOR
r3_byte:
        mov al, [DATA + 3]
.resume:
        int RING0_RETURN_VECTOR
r3_write_1:
        mov dword [DATA + 0x21], 0
.resume:
        int RING0_RETURN_VECTOR
r3_push:
        mov esp, USTACK_TOP - 0x102
        push eax
.resume:
        int RING0_RETURN_VECTOR
r3_push16:
        mov esp, USTACK_TOP - 0x102
        push ax
.resume:
        int RING0_RETURN_VECTOR
r3_cx8_4:
        cmpxchg8b [DATA + 0x44]
.resume:
        int RING0_RETURN_VECTOR
r3_cx8_8:
        cmpxchg8b [DATA + 0x48]
.resume:
        int RING0_RETURN_VECTOR
r3_fld64_4:
        fld qword [DATA + 0x64]
.resume:
        int RING0_RETURN_VECTOR
r3_fld32_4:
        fld dword [DATA + 0x64]
        fstp st0
.resume:
        int RING0_RETURN_VECTOR
r3_fstp80_4:
        fldz
        fstp tword [DATA + 0x84]
.resume:
        fninit
        int RING0_RETURN_VECTOR
r3_fild64_8:
        fild qword [DATA + 0x88]
        fstp st0
.resume:
        int RING0_RETURN_VECTOR
r3_fsave_4:
        fnsave [DATA + 0x104]
.resume:
        int RING0_RETURN_VECTOR
r3_fsave_2:
        fnsave [DATA + 0x202]
.resume:
        int RING0_RETURN_VECTOR
r3_popf_ac:
        pushfd
        or dword [esp], EFLAGS_AC
        popfd
        mov eax, [DATA + 1]
.resume:
        int RING0_RETURN_VECTOR

        ROM_END
