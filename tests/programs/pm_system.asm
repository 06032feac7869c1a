; Protected-mode system instructions (Intel SDM vol. 2 and vol. 3, 2.5-2.7): LAR, LSL, VERR,
; VERW and ARPL with their ZF results, SLDT, STR, LLDT/LTR checks, LGDT/SGDT/SIDT, SMSW, CLTS,
; MOV to and from CR0/CR2/CR3/CR4, CPUID's vendor and family, RDTSC, and RDMSR/WRMSR (#GP(0)
; for an unknown MSR or in ring 3).
%include "pm.inc"

        PROGRAM "pm_system"

        GDT_BEGIN
SEL_RO        equ $ - gdt_start     ; read-only data, not accessed
        DESC SCRATCH, 0x1234, 0x90, 0
SEL_XO        equ $ - gdt_start     ; execute-only code
        DESC 0xF0000, 0xFFFF, 0x98, FLAGS_32
SEL_CONFXO    equ $ - gdt_start     ; conforming execute-only code, DPL 0
        DESC 0xF0000, 0xFFFF, 0x9C, FLAGS_32
SEL_CONFR     equ $ - gdt_start     ; conforming readable code, DPL 0
        DESC 0xF0000, 0xFFFF, 0x9E, FLAGS_32
SEL_LDT       equ $ - gdt_start
        DESC LDT_BASE, 0x0F, 0x82, 0
SEL_CALLGATE  equ $ - gdt_start     ; 32-bit call gate, DPL 0
        GATE SEL_KCODE, OFF(test_main), 0x8C, 0
SEL_INTGATE   equ $ - gdt_start     ; an interrupt gate type in the GDT: invalid for LAR
        GATE SEL_KCODE, OFF(test_main), 0x8E, 0
SEL_TSS_AVAIL equ $ - gdt_start     ; an available 32-bit TSS, limit 0x67
        DESC SCRATCH + 0x1000, 0x67, 0x89, 0
SEL_DPL3DATA  equ $ - gdt_start     ; writable data DPL 3, G=1 limit 0xFFFFF
        DESC 0, 0xFFFFF, 0xF2, FLAGS_32G
SEL_NP        equ $ - gdt_start     ; not-present data
        DESC SCRATCH, 0xFFF, 0x12, 0
SEL_BEYOND    equ $ - gdt_start     ; the first selector past the GDT limit
        GDT_END

bits 32
test_main:
        ; ---- LAR ----
        mov eax, 0xDEADBEEF
        mov bx, SEL_KCODE
        lar eax, bx
        CHECK z, "LAR of code sets ZF"
        and eax, 0xFFF0FFFF             ; bits 19:16 are undefined
        CHECK_EQ eax, 0x00409B00, "LAR of 32-bit code: type, S, DPL, P, D"
        mov eax, 0xDEADBEEF
        mov bx, SEL_KDATA
        lar ax, bx
        CHECK_EQ eax, 0xDEAD9300, "LAR r16 of data writes the low word: FF00 mask"
        mov eax, 0xDEADBEEF
        mov bx, SEL_RO
        lar eax, bx
        and eax, 0xFFF0FFFF
        CHECK_EQ eax, 0x00009000, "LAR does not set the accessed bit"
        mov bx, SEL_TSS0
        lar eax, bx
        CHECK z, "LAR of a busy TSS sets ZF"
        and eax, 0xFFF0FFFF
        CHECK_EQ eax, 0x00008B00, "LAR of a busy 32-bit TSS"
        mov bx, SEL_CALLGATE
        lar eax, bx
        CHECK z, "LAR of a call gate sets ZF"
        mov bx, SEL_LDT
        lar eax, bx
        CHECK z, "LAR of an LDT sets ZF"
        mov ecx, 0x5555
        mov bx, SEL_INTGATE
        lar ecx, bx
        CHECK nz, "LAR of an interrupt gate clears ZF"
        CHECK_EQ ecx, 0x5555, "LAR that clears ZF leaves the register"
        xor ebx, ebx
        lar ecx, bx
        CHECK nz, "LAR of a null selector clears ZF"
        mov bx, SEL_BEYOND
        lar ecx, bx
        CHECK nz, "LAR past the GDT limit clears ZF"
        mov bx, SEL_KDATA | 3
        lar ecx, bx
        CHECK nz, "LAR with RPL 3 > DPL 0 clears ZF"
        mov bx, SEL_CONFR | 3
        lar ecx, bx
        CHECK z, "LAR of conforming code ignores RPL"
        mov bx, SEL_NP
        lar ecx, bx
        CHECK z, "LAR of a not-present segment sets ZF"
        and ecx, 0xFFF0FFFF
        CHECK_EQ ecx, 0x00001200, "LAR of a not-present segment reports P=0"

        ; ---- LSL ----
        mov bx, SEL_KDATA
        lsl eax, bx
        CHECK z, "LSL of data sets ZF"
        CHECK_EQ eax, 0xFFFFFFFF, "LSL scales a page-granular limit"
        mov bx, SEL_RO
        lsl eax, bx
        CHECK_EQ eax, 0x1234, "LSL of a byte-granular limit"
        mov bx, SEL_TSS_AVAIL
        lsl eax, bx
        CHECK z, "LSL of an available TSS sets ZF"
        CHECK_EQ eax, 0x67, "LSL of a TSS"
        mov bx, SEL_CALLGATE
        lsl eax, bx
        CHECK nz, "LSL of a call gate clears ZF"
        mov bx, SEL_DPL3DATA | 3
        lsl eax, bx
        CHECK z, "LSL of DPL 3 data with RPL 3 sets ZF"

        ; ---- VERR / VERW ----
        mov bx, SEL_KCODE
        verr bx
        CHECK z, "VERR of readable code sets ZF"
        mov bx, SEL_XO
        verr bx
        CHECK nz, "VERR of execute-only code clears ZF"
        mov bx, SEL_CONFXO | 3
        verr bx
        CHECK nz, "VERR of execute-only conforming code clears ZF"
        mov bx, SEL_RO
        verr bx
        CHECK z, "VERR of read-only data sets ZF"
        verw bx
        CHECK nz, "VERW of read-only data clears ZF"
        mov bx, SEL_KDATA
        verw bx
        CHECK z, "VERW of writable data sets ZF"
        mov bx, SEL_KCODE
        verw bx
        CHECK nz, "VERW of code clears ZF"
        mov bx, SEL_KDATA | 3
        verw bx
        CHECK nz, "VERW with RPL 3 > DPL 0 clears ZF"
        xor ebx, ebx
        verr bx
        CHECK nz, "VERR of a null selector clears ZF"
        mov bx, SEL_TSS0
        verr bx
        CHECK nz, "VERR of a TSS clears ZF"
        mov bx, SEL_BEYOND
        verw bx
        CHECK nz, "VERW past the GDT limit clears ZF"

        ; ---- ARPL ----
        mov ax, 0x0010
        mov bx, 0x0023
        arpl ax, bx
        CHECK z, "ARPL raising the RPL sets ZF"
        movzx eax, ax
        CHECK_EQ eax, 0x13, "ARPL copies the higher RPL"
        mov bx, 0x0001
        arpl ax, bx
        CHECK nz, "ARPL with a lower source RPL clears ZF"
        mov word [user_vars], 0x0028
        mov bx, 0x0002
        arpl [user_vars], bx
        movzx eax, word [user_vars]
        CHECK_EQ eax, 0x2A, "ARPL on memory"
        ; in a read-only segment: no write (and no fault) unless the RPL changes
        mov word [SCRATCH + 0x10], 0x0033
        mov ax, SEL_RO
        mov es, ax
        mov bx, 0x0001
        EXPECT_FAULT "ARPL leaving a read-only operand unchanged does not fault", NONE, NONE, arpl [es:0x10], bx
        mov word [SCRATCH + 0x10], 0x0030
        EXPECT_FAULT "ARPL changing a read-only operand is #GP(0)", 13, 0, arpl [es:0x10], bx
        mov ax, SEL_KDATA
        mov es, ax

        ; ---- SLDT / STR / LLDT / LTR ----
        mov eax, 0xFFFFFFFF
        sldt ax
        CHECK_EQ eax, 0xFFFF0000, "SLDT with no LDT stores 0"
        mov ax, SEL_LDT
        lldt ax
        sldt eax
        CHECK_EQ eax, SEL_LDT, "SLDT r32 stores the LDT selector zero-extended"
        xor eax, eax
        lldt ax
        str eax
        CHECK_EQ eax, SEL_TSS0, "STR stores the task register"
        mov word [user_vars], 0xFFFF
        str [user_vars]
        movzx eax, word [user_vars]
        CHECK_EQ eax, SEL_TSS0, "STR to memory"
        mov ax, SEL_KDATA
        EXPECT_FAULT "LLDT of a data segment is #GP(sel)", 13, SEL_KDATA, lldt ax
        mov ax, SEL_TSS0
        EXPECT_FAULT "LTR of a busy TSS is #GP(sel)", 13, SEL_TSS0, ltr ax
        xor eax, eax
        EXPECT_FAULT "LTR of a null selector is #GP(0)", 13, 0, ltr ax
        mov ax, SEL_LDT | 4
        EXPECT_FAULT "LLDT of an LDT selector (TI=1) is #GP(sel)", 13, SEL_LDT | 4, lldt ax
        mov ax, SEL_TSS_AVAIL
        ltr ax
        test byte [GDT_BASE + SEL_TSS_AVAIL + 5], 2
        CHECK nz, "LTR marks the TSS busy"
        str eax
        CHECK_EQ eax, SEL_TSS_AVAIL, "STR after LTR"
        mov ax, SEL_TSS0
        and byte [GDT_BASE + SEL_TSS0 + 5], ~2
        ltr ax

        ; ---- descriptor-table registers ----
        sgdt [user_vars]
        movzx eax, word [user_vars]
        CHECK_EQ eax, gdt_end - gdt_start - 1, "SGDT stores the limit"
        CHECK_EQ dword [user_vars + 2], GDT_BASE, "SGDT stores the base"
        sidt [user_vars]
        movzx eax, word [user_vars]
        CHECK_EQ eax, 256 * 8 - 1, "SIDT stores the limit"
        CHECK_EQ dword [user_vars + 2], IDT_BASE, "SIDT stores the base"
        mov word [user_vars + 16], 0x1234
        mov dword [user_vars + 18], 0x00ABCDEF
        lgdt [user_vars + 16]
        sgdt [user_vars + 32]
        lgdt [cs:gdt_pointer]
        movzx eax, word [user_vars + 32]
        CHECK_EQ eax, 0x1234, "LGDT then SGDT: limit"
        CHECK_EQ dword [user_vars + 34], 0x00ABCDEF, "LGDT then SGDT: base"

        ; ---- control registers ----
        mov eax, cr0
        and eax, 0x11
        CHECK_EQ eax, 0x11, "CR0 reads PE and ET"
        smsw eax
        and eax, 0xFFFF
        mov ebx, cr0
        and ebx, 0xFFFF
        CHECK_EQ eax, ebx, "SMSW stores CR0's low word"
        mov eax, cr0
        or eax, 8
        mov cr0, eax
        mov eax, cr0
        and eax, 8
        CHECK_EQ eax, 8, "MOV CR0 sets TS"
        clts
        mov eax, cr0
        and eax, 8
        CHECK_EQ eax, 0, "CLTS clears TS"
        mov eax, 0x12345678
        mov cr2, eax
        xor eax, eax
        mov eax, cr2
        CHECK_EQ eax, 0x12345678, "MOV CR2 round trip"
        mov eax, 0x00123000
        mov cr3, eax
        xor eax, eax
        mov eax, cr3
        CHECK_EQ eax, 0x00123000, "MOV CR3 round trip"
        xor eax, eax
        mov cr3, eax
        mov eax, 0x10                   ; PSE
        mov cr4, eax
        xor eax, eax
        mov eax, cr4
        CHECK_EQ eax, 0x10, "MOV CR4 round trip"
        xor eax, eax
        mov cr4, eax
        mov eax, cr0
        and eax, ~1
        or eax, 0x80000000
        EXPECT_FAULT "MOV CR0 with PG=1 and PE=0 is #GP(0)", 13, 0, mov cr0, eax
        mov eax, cr0
        and eax, 1
        CHECK_EQ eax, 1, "the faulting MOV CR0 left PE set"

        ; ---- CPUID, RDTSC, MSRs ----
        xor eax, eax
        cpuid
        CHECK_EQ ebx, 'Genu', "CPUID 0: EBX"
        CHECK_EQ edx, 'ineI', "CPUID 0: EDX"
        CHECK_EQ ecx, 'ntel', "CPUID 0: ECX"
        cmp eax, 1
        CHECK ae, "CPUID 0: the highest leaf is at least 1"
        mov eax, 1
        cpuid
        shr eax, 8
        and eax, 0xF
        CHECK_EQ eax, 6, "CPUID 1: family 6"
        and edx, 0x10
        CHECK_EQ edx, 0x10, "CPUID 1: TSC present"
        rdtsc
        mov esi, eax
        mov edi, edx
        mov ecx, 100
.spin:  loop .spin
        rdtsc
        sub eax, esi
        sbb edx, edi
        or eax, edx
        CHECK nz, "RDTSC increases"
        mov ecx, 0x12345
        EXPECT_FAULT "RDMSR of an unknown MSR is #GP(0)", 13, 0, rdmsr
        EXPECT_FAULT "WRMSR of an unknown MSR is #GP(0)", 13, 0, wrmsr
        mov ecx, 0x10
        EXPECT_FAULT "RDMSR of the TSC works", NONE, NONE, rdmsr
        ARM_FAULT r3_rdmsr.resume
        mov eax, r3_rdmsr
        mov ebx, 0x2
        call enter_ring3
        CHECK_FAULT "RDMSR in ring 3 is #GP(0)", 13, 0
        ARM_FAULT r3_movcr2.resume
        mov eax, r3_movcr2
        mov ebx, 0x2
        call enter_ring3
        CHECK_FAULT "MOV from CR2 in ring 3 is #GP(0)", 13, 0
        ; in ring 3, LAR/LSL/VERR see only DPL 3 descriptors
        mov eax, r3_lar
        mov ebx, 0x2
        call enter_ring3
        CHECK_EQ dword [user_vars + 64], 0x1, "LAR in ring 3: ring-0 data invisible, ring-3 data visible"
        jmp finish

r3_rdmsr:
        mov ecx, 0x10
        rdmsr
.resume:
        int RING0_RETURN_VECTOR
r3_movcr2:
        mov eax, cr2
.resume:
        int RING0_RETURN_VECTOR
r3_lar:
        xor edx, edx
        mov bx, SEL_KDATA
        lar eax, bx
        setnz dl                        ; 1: invisible
        mov bx, SEL_UDATA
        lar eax, bx
        setz al
        and dl, al
        movzx edx, dl
        mov [user_vars + 64], edx
        int RING0_RETURN_VECTOR

        ROM_END
