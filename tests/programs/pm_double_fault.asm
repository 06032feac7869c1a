; Exceptions whose delivery faults (Intel SDM vol. 3, 6.15 "Interrupt 8", table 6-5): a benign
; exception (#UD) whose gate is not present is followed by the #NP serially, with the EXT bit
; in its error code (6*8+2+1); a contributory exception (#DE) followed by a contributory one
; (#NP) is a double fault with error code 0 and the address of the faulting instruction.
%include "pm.inc"

        PROGRAM "pm_double_fault"

        GDT_BEGIN
        GDT_END

bits 32
test_main:
        mov eax, IDT_BASE + 6 * 8
        and byte [eax + 5], 0x7F
        EXPECT_FAULT "#UD through a not-present gate is #NP(6*8+3)", 11, 6 * 8 + 3, ud_at: ud2
        CHECK_EQ dword [fault_eip], ud_at, "the #NP frame holds the UD2"
        or byte [eax + 5], 0x80
        mov eax, IDT_BASE + 0 * 8
        and byte [eax + 5], 0x7F
        xor ecx, ecx
        EXPECT_FAULT "#DE through a not-present gate is #DF(0)", 8, 0, div_at: div ecx
        CHECK_EQ dword [fault_eip], div_at, "the #DF frame holds the DIV"
        or byte [eax + 5], 0x80
        mov eax, IDT_BASE + 13 * 8
        and byte [eax + 5], 0x7F
        xor ebx, ebx
        EXPECT_FAULT "#GP through a not-present gate is #DF(0)", 8, 0, mov ebx, [es:ebx - 1]
        or byte [eax + 5], 0x80
        jmp finish

        ROM_END
