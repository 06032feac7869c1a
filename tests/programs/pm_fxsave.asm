; FXSAVE and FXRSTOR on a CPU without SSE (Intel SDM vol. 2, FXSAVE/FXRSTOR): CPUID.FXSR,
; CR4.OSFXSR, the 512-byte layout (FCW, FSW, abridged tag, FOP, FPU IP/CS/DP/DS, MXCSR and
; MXCSR_MASK as zero, ST0-ST7 in 16-byte slots, the rest untouched), FXSAVE leaving the FPU as
; it was, FXRSTOR rebuilding the full tag word, #GP(0) for an area not 16-aligned, #NM with
; CR0.TS or CR0.EM, and neither instruction waiting for a pending x87 exception.
%include "pm.inc"

        PROGRAM "pm_fxsave"

        GDT_BEGIN
        GDT_END

AREA            equ SCRATCH               ; 16-aligned, 512 bytes
ENV             equ SCRATCH + 0x400       ; FNSTENV image
TMP             equ SCRATCH + 0x500
CR0_NE          equ 1 << 5

bits 32
test_main:
        mov eax, cr0
        or eax, CR0_NE                  ; unmasked x87 exceptions raise #MF
        and eax, ~0xC
        mov cr0, eax

        ; ---- CPUID and CR4 ----
        mov eax, 1
        cpuid
        mov eax, edx
        and eax, 1 << 24
        CHECK_EQ eax, 1 << 24, "CPUID.1:EDX.FXSR is set"
        mov eax, edx
        and eax, 3 << 25
        CHECK_EQ eax, 0, "CPUID.1:EDX.SSE and SSE2 are clear"
        mov eax, cr4
        or eax, 1 << 9
        mov cr4, eax
        mov ebx, cr4
        and ebx, 1 << 9
        CHECK_EQ ebx, 1 << 9, "CR4.OSFXSR can be set"

        ; ---- FXSAVE layout ----
        mov edi, AREA
        mov ecx, 512 / 4
        mov eax, 0xAAAAAAAA
        rep stosd
        fninit
        mov word [TMP], 0x027F          ; 53-bit precision
        fldcw [TMP]
        fld1
        fldpi
fldz_insn:
        fldz
        fxsave [AREA]
        movzx eax, word [AREA + 0]
        CHECK_EQ eax, 0x027F, "FCW at byte 0"
        movzx eax, word [AREA + 2]
        CHECK_EQ eax, 0x2800, "FSW at byte 2 (TOP = 5)"
        movzx eax, byte [AREA + 4]
        CHECK_EQ eax, 0xE0, "abridged tag: R5-R7 in use"
        movzx eax, byte [AREA + 5]
        CHECK_EQ eax, 0, "byte 5 is zero"
        movzx eax, word [AREA + 6]
        CHECK_EQ eax, 0x01EE, "FOP of FLDZ (D9 EE)"
        CHECK_EQ dword [AREA + 8], fldz_insn, "FPU IP: the last x87 instruction"
        movzx eax, word [AREA + 12]
        CHECK_EQ eax, SEL_KCODE, "FPU CS"
        CHECK_EQ dword [AREA + 24], 0, "MXCSR is zero without SSE"
        CHECK_EQ dword [AREA + 28], 0, "MXCSR_MASK is zero without SSE"
        CHECK_EQ dword [AREA + 32], 0, "ST0 = +0: significand low"
        CHECK_EQ dword [AREA + 40], 0, "ST0 = +0: exponent and reserved"
        CHECK_EQ dword [AREA + 48], 0x2168C235, "ST1 = pi: significand low"
        CHECK_EQ dword [AREA + 52], 0xC90FDAA2, "ST1 = pi: significand high"
        movzx eax, word [AREA + 56]
        CHECK_EQ eax, 0x4000, "ST1 = pi: exponent"
        movzx eax, word [AREA + 58]
        CHECK_EQ eax, 0, "the 6 bytes after a register are zero"
        CHECK_EQ dword [AREA + 68], 0x80000000, "ST2 = 1.0: significand high"
        movzx eax, word [AREA + 72]
        CHECK_EQ eax, 0x3FFF, "ST2 = 1.0: exponent"
        CHECK_EQ dword [AREA + 160], 0xAAAAAAAA, "the XMM area is not written"
        CHECK_EQ dword [AREA + 508], 0xAAAAAAAA, "the last bytes are not written"
        fnstsw ax
        and eax, 0x3800
        CHECK_EQ eax, 0x2800, "FXSAVE leaves the FPU as it was (TOP = 5)"

        ; ---- FXRSTOR ----
        fninit
        fxrstor [AREA]
        fnstenv [ENV]
        movzx eax, word [ENV + 0]
        CHECK_EQ eax, 0x027F, "FXRSTOR loads FCW"
        movzx eax, word [ENV + 4]
        and eax, 0x3800
        CHECK_EQ eax, 0x2800, "FXRSTOR loads FSW (TOP = 5)"
        movzx eax, word [ENV + 8]
        CHECK_EQ eax, 0x07FF, "FXRSTOR rebuilds the tag word: R5 zero, R6 and R7 valid"
        fldcw [ENV + 0]                 ; FNSTENV masked everything
        fstp qword [TMP]                ; 0.0
        fstp qword [TMP]                ; pi
        CHECK_EQ dword [TMP + 4], 0x400921FB, "FXRSTOR loads ST1 = pi"
        fstp qword [TMP]
        CHECK_EQ dword [TMP + 4], 0x3FF00000, "FXRSTOR loads ST2 = 1.0"
        ; an abridged tag bit clear empties the register whatever it holds
        fninit
        mov byte [AREA + 4], 0x60       ; R7 (ST2) empty
        fxrstor [AREA]
        fnstenv [ENV]
        movzx eax, word [ENV + 8]
        CHECK_EQ eax, 0xC7FF, "a clear abridged bit makes the register empty"
        fninit

        ; ---- faults ----
        EXPECT_FAULT "FXSAVE to an area at offset 8 is #GP(0)", 13, 0, fxsave [AREA + 8]
        EXPECT_FAULT "FXRSTOR from an area at offset 4 is #GP(0)", 13, 0, fxrstor [AREA + 4]
        mov eax, cr0
        or eax, 8                       ; TS
        mov cr0, eax
        EXPECT_FAULT "FXSAVE with CR0.TS is #NM", 7, NONE, fxsave [AREA]
        EXPECT_FAULT "FXRSTOR with CR0.TS is #NM", 7, NONE, fxrstor [AREA]
        clts
        mov eax, cr0
        or eax, 4                       ; EM
        mov cr0, eax
        EXPECT_FAULT "FXSAVE with CR0.EM is #NM", 7, NONE, fxsave [AREA]
        mov eax, cr0
        and eax, ~4
        mov cr0, eax

        ; ---- pending exceptions ----
        fninit
        mov word [TMP], 0x037B          ; zero divide unmasked
        fldcw [TMP]
        fld1
        fldz
        fdivp st1, st0                  ; 1/0: ZE pending
        EXPECT_FAULT "FXSAVE does not wait for a pending exception", NONE, NONE, fxsave [AREA]
        movzx eax, word [AREA + 2]
        and eax, 0x84
        CHECK_EQ eax, 0x84, "the saved FSW holds ES and ZE"
        fninit
        EXPECT_FAULT "FXRSTOR of a pending exception does not fault", NONE, NONE, fxrstor [AREA]
        EXPECT_FAULT "the next waiting x87 instruction is #MF", 16, NONE, fwait
        fninit
        jmp finish

        ROM_END
