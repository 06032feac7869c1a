; Protected-mode interrupts and exceptions through the IDT (Intel SDM vol. 3, chapter 6):
; INT n, INT3 and INTO through 32-bit interrupt and trap gates and a 16-bit interrupt gate, the
; frame each pushes (EFLAGS, CS, EIP, then the error code), IF cleared by interrupt gates only,
; NT cleared on delivery, faults that push the address of the faulting instruction, the gate
; checks (#GP(vector*8+2) past the IDT limit, for a bad gate type and for INT n to a gate with
; DPL < CPL; #NP(vector*8+2) for a not-present gate; the EXT bit when an exception's delivery
; faults), the target code segment checks, a double fault, and IRET.
%include "pm.inc"

        PROGRAM "pm_interrupts"

        GDT_BEGIN
SEL_NPCODE    equ $ - gdt_start     ; code, not present
        DESC 0xF0000, 0xFFFF, 0x1A, FLAGS_32
        GDT_END

bits 32
; A 16-bit interrupt handler (in SEL_KCODE16): notes SP and returns with a 16-bit IRET.
bits 16
handler16:
        mov [ss:user_vars], esp
        iret
bits 32
; A trap-gate handler that notes EFLAGS inside it.
trap_handler:
        pushfd
        pop dword [ss:user_vars + 4]
        iretd

test_main:
        ; ---- INT n through a 32-bit interrupt gate ----
        sti
        mov ebp, esp
        mov dword [fault_vector], NONE
int40:  int 0x40
.after:
        CHECK_EQ dword [fault_vector], 0x40, "INT 0x40 reaches its gate"
        CHECK_EQ dword [fault_eip], int40.after, "INT n pushes the address of the next instruction"
        CHECK_EQ dword [fault_cs], SEL_KCODE, "INT n pushes CS"
        mov eax, [fault_eflags]
        and eax, 0x200
        CHECK_EQ eax, 0x200, "the pushed EFLAGS has IF set"
        mov eax, [handler_eflags]
        and eax, 0x200
        CHECK_EQ eax, 0, "an interrupt gate clears IF"
        pushfd
        pop eax
        and eax, 0x200
        CHECK_EQ eax, 0x200, "IRET restores IF"
        lea eax, [ebp - 12]
        CHECK_EQ dword [handler_esp], eax, "same-level frame is 3 dwords on the same stack"
        CHECK_EQ dword [handler_ss], SEL_KDATA, "same-level delivery keeps SS"

        ; ---- trap gate ----
        SET_GATE 0x41, SEL_KCODE, trap_handler, 0x8F
        mov dword [user_vars + 4], 0
        int 0x41
        mov eax, [user_vars + 4]
        and eax, 0x200
        CHECK_EQ eax, 0x200, "a trap gate keeps IF"
        cli

        ; ---- NT is cleared in the handler and restored by IRET ----
        pushfd
        or dword [esp], 0x4000
        popfd
        int 0x40
        pushfd
        pop ebx
        and ebx, 0x4000
        push dword 0x2
        popfd
        mov eax, [handler_eflags]
        and eax, 0x4000
        CHECK_EQ eax, 0, "delivery clears NT"
        mov eax, [fault_eflags]
        and eax, 0x4000
        CHECK_EQ eax, 0x4000, "the pushed EFLAGS keeps NT"
        CHECK_EQ ebx, 0x4000, "IRET restores NT"

        ; ---- 16-bit interrupt gate ----
        SET_GATE 0x43, SEL_KCODE16, handler16, 0x86
        mov ebp, esp
int43:  int 0x43
.after:
        movzx ebx, word [ebp - 6]       ; read the frame before anything pushes over it
        movzx ecx, word [ebp - 4]
        lea eax, [ebp - 6]
        CHECK_EQ dword [user_vars], eax, "a 16-bit gate pushes a 6-byte frame"
        CHECK_EQ ebx, int43.after, "a 16-bit gate pushes IP"
        CHECK_EQ ecx, SEL_KCODE, "a 16-bit gate pushes CS"

        ; ---- INT3 and INTO ----
        mov dword [fault_vector], NONE
int3_at:
        int3
.after:
        CHECK_EQ dword [fault_vector], 3, "INT3 is vector 3"
        CHECK_EQ dword [fault_eip], int3_at.after, "INT3 pushes the next instruction"
        mov dword [fault_vector], NONE
        xor eax, eax                    ; OF = 0
        into
        CHECK_EQ dword [fault_vector], NONE, "INTO with OF=0 does nothing"
        mov al, 0x7F
        add al, 1                       ; OF = 1
into_at:
        into
.after:
        CHECK_EQ dword [fault_vector], 4, "INTO with OF=1 is vector 4"
        CHECK_EQ dword [fault_eip], into_at.after, "INTO pushes the next instruction"

        ; ---- faults push the faulting instruction ----
        xor ecx, ecx
        mov ebp, esp
        EXPECT_FAULT "DIV by zero is #DE without an error code", 0, NONE, div_at: div ecx
        CHECK_EQ dword [fault_eip], div_at, "#DE pushes the faulting DIV"
        lea eax, [ebp - 12]
        CHECK_EQ dword [handler_esp], eax, "#DE frame has no error code"
        EXPECT_FAULT "UD2 is #UD", 6, NONE, ud_at: ud2
        CHECK_EQ dword [fault_eip], ud_at, "#UD pushes the faulting UD2"
        mov dword [user_vars + 8], 10
        mov dword [user_vars + 12], 20
        mov eax, 25
        EXPECT_FAULT "BOUND out of range is #BR", 5, NONE, bound_at: bound eax, [user_vars + 8]
        CHECK_EQ dword [fault_eip], bound_at, "#BR pushes the faulting BOUND"
        mov eax, 15
        EXPECT_FAULT "BOUND in range passes", NONE, NONE, bound eax, [user_vars + 8]
        xor eax, eax
        mov ebp, esp
        mov dword [ebp - 16], 0xDEADBEEF
        ARM_FAULT gp_resume
gp_at:  mov eax, [es:eax - 1]
gp_resume:
        mov ebx, [ebp - 16]             ; read the frame before anything pushes over it
        CHECK_FAULT "#GP pushes an error code", 13, 0
        CHECK_EQ dword [fault_eip], gp_at, "#GP pushes the faulting instruction"
        lea eax, [ebp - 12]
        CHECK_EQ dword [handler_esp], eax, "#GP frame: EFLAGS, CS, EIP on the same stack"
        CHECK_EQ ebx, 0, "#GP error code sits below EIP"
        ; (ES limit is 4 GiB: offset 0xFFFFFFFF plus 4 bytes runs past it)

        ; ---- gate checks ----
        mov eax, IDT_BASE + 0x40 * 8
        and byte [eax + 5], 0x7F        ; not present
        EXPECT_FAULT "INT to a not-present gate is #NP(v*8+2)", 11, 0x40 * 8 + 2, int 0x40
        or byte [eax + 5], 0x80
        mov byte [eax + 5], 0x8C        ; a 32-bit call gate type
        EXPECT_FAULT "INT to a call gate is #GP(v*8+2)", 13, 0x40 * 8 + 2, int 0x40
        mov byte [eax + 5], 0x92        ; a data segment descriptor
        EXPECT_FAULT "INT to a segment descriptor is #GP(v*8+2)", 13, 0x40 * 8 + 2, int 0x40
        mov byte [eax + 5], 0x8E
        mov word [eax + 2], 0           ; null target selector
        EXPECT_FAULT "gate to a null selector is #GP(0)", 13, 0, int 0x40
        mov word [eax + 2], SEL_KDATA
        EXPECT_FAULT "gate to a data segment is #GP(sel)", 13, SEL_KDATA, int 0x40
        mov word [eax + 2], SEL_NPCODE
        EXPECT_FAULT "gate to a not-present segment is #NP(sel)", 11, SEL_NPCODE, int 0x40
        mov word [eax + 2], SEL_KCODE
        EXPECT_FAULT "the restored gate works", 0x40, NONE, int 0x40

        ; IDT limit: vectors 0-0x3F only
        sub esp, 8
        sidt [esp + 2]
        mov word [esp + 2], 0x40 * 8 - 1
        lidt [esp + 2]
        EXPECT_FAULT "INT past the IDT limit is #GP(v*8+2)", 13, 0x40 * 8 + 2, int 0x40
        EXPECT_FAULT "INT at the last vector in the limit works", 0x3F, NONE, int 0x3F
        mov word [esp + 2], 0x40 * 8 + 6   ; the gate's last byte is outside
        lidt [esp + 2]
        EXPECT_FAULT "a gate straddling the IDT limit is #GP(v*8+2)", 13, 0x40 * 8 + 2, int 0x40
        mov word [esp + 2], 256 * 8 - 1
        lidt [esp + 2]
        add esp, 8

        ; ---- INT n from ring 3 to a DPL 0 gate ----
        ARM_FAULT ring3_int.resume
        mov eax, ring3_int
        mov ebx, 0x2
        call enter_ring3
        CHECK_FAULT "ring-3 INT to a DPL 0 gate is #GP(v*8+2)", 13, 0x40 * 8 + 2
        ARM_FAULT ring3_int3.resume
        mov eax, ring3_int3
        mov ebx, 0x2
        call enter_ring3
        CHECK_FAULT "ring-3 INT3 to a DPL 0 gate is #GP(3*8+2)", 13, 3 * 8 + 2

        ; (an exception whose delivery faults: pm_double_fault.asm)

        ; ---- IRET ----
        pushfd
        or dword [esp], 0x8C5           ; CF, PF, ZF, SF, OF
        push dword SEL_KCODE
        push dword .iret_target
        iretd
.iret_target:
        pushfd
        pop eax
        and eax, 0x8C5
        CHECK_EQ eax, 0x8C5, "IRETD loads the arithmetic flags"
        push dword 0x2
        push dword SEL_NPCODE
        push dword 0
        mov ebp, esp
        EXPECT_FAULT "IRET to a not-present segment is #NP(sel)", 11, SEL_NPCODE, iretd
        mov eax, esp
        CHECK_EQ eax, ebp, "a faulting IRET pops nothing"
        mov dword [esp + 4], 0
        EXPECT_FAULT "IRET to a null CS is #GP(0)", 13, 0, iretd
        mov dword [esp + 4], SEL_KDATA
        EXPECT_FAULT "IRET to a data segment is #GP(sel)", 13, SEL_KDATA, iretd
        mov dword [esp + 4], SEL_KCODE
        mov dword [esp], 0x10000
        EXPECT_FAULT "IRET past the code limit is #GP(0)", 13, 0, iretd
        add esp, 12
        jmp finish

ring3_int:
        int 0x40
.resume:
        int RING0_RETURN_VECTOR
ring3_int3:
        int3
.resume:
        int RING0_RETURN_VECTOR

        ROM_END
