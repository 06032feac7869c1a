; Protected-mode segmentation: data, stack and code segment loads with their checks, the
; exact exceptions and error codes (Intel SDM vol. 3, 5.4-5.8 and 6.15: #GP, #SS, #NP with
; the selector & 0xFFFC, or 0 for a null selector and for limit violations), limit checks for
; expand-up, expand-down (B=0 and B=1) and page-granular segments, read-only and execute-only
; segments, the LDT, and the accessed bit set by a load.
%include "pm.inc"

        PROGRAM "pm_segments"

        GDT_BEGIN
SEL_RO        equ $ - gdt_start     ; read-only data
        DESC SCRATCH, 0xFFF, 0x90, 0
SEL_SMALL     equ $ - gdt_start     ; writable data, limit 0xFF
        DESC SCRATCH, 0xFF, 0x92, 0
SEL_ED16      equ $ - gdt_start     ; expand-down, B=0: offsets 0x1000-0xFFFF
        DESC SCRATCH, 0xFFF, 0x96, 0
SEL_ED32      equ $ - gdt_start     ; expand-down, B=1: offsets 0x10000-0xFFFFFFFF
        DESC SCRATCH, 0xFFFF, 0x96, FLAGS_32
SEL_NP        equ $ - gdt_start     ; writable data, not present
        DESC SCRATCH, 0xFFF, 0x12, 0
SEL_XO        equ $ - gdt_start     ; execute-only code
        DESC 0xF0000, 0xFFFF, 0x98, FLAGS_32
SEL_CONF      equ $ - gdt_start     ; conforming readable code, DPL 0
        DESC 0xF0000, 0xFFFF, 0x9E, FLAGS_32
SEL_LDT       equ $ - gdt_start     ; an LDT of three descriptors
        DESC LDT_BASE, 0x17, 0x82, 0
SEL_DPL1      equ $ - gdt_start     ; writable data, DPL 1
        DESC SCRATCH, 0xFFF, 0xB2, 0
SEL_STACK     equ $ - gdt_start     ; a small 32-bit stack, limit 0xFFF
        DESC SCRATCH, 0xFFF, 0x92, FLAGS_32
SEL_EDSTACK   equ $ - gdt_start     ; expand-down 32-bit stack: offsets 0x1000-0xFFFFFFFF
        DESC SCRATCH, 0xFFF, 0x96, FLAGS_32
SEL_PAGES     equ $ - gdt_start     ; G=1, limit 0: offsets 0-0xFFF
        DESC SCRATCH, 0, 0x92, 0x80
SEL_ACCESSED  equ $ - gdt_start     ; plain data to watch the accessed bit
        DESC SCRATCH, 0xFFF, 0x92, 0
SEL_NPCODE    equ $ - gdt_start     ; code, not present
        DESC 0xF0000, 0xFFFF, 0x1A, FLAGS_32
SEL_BEYOND    equ $ - gdt_start     ; the first selector past the GDT limit
        GDT_END

; The LDT (copied to LDT_BASE): 0x04 data, 0x0C code, 0x14 not present.
ldt_template:
        DESC SCRATCH + 0x100, 0xFF, 0x92, 0
        DESC 0xF0000, 0xFFFF, 0x9A, FLAGS_32
        DESC SCRATCH, 0xFF, 0x12, 0
ldt_template_end:

bits 32
test_main:
        mov dword [SCRATCH], 0x11223344
        mov dword [SCRATCH + 0x100], 0x55667788
        mov dword [SCRATCH + 0x1000], 0xCAFEF00D
        mov dword [SCRATCH + 0x10000], 0x0BADBEEF

        ; ---- null selectors ----
        xor eax, eax
        EXPECT_FAULT "null ES loads without a fault", NONE, NONE, mov es, ax
        EXPECT_FAULT "read through a null ES is #GP(0)", 13, 0, mov eax, [es:0]
        EXPECT_FAULT "write through a null ES is #GP(0)", 13, 0, mov [es:0], eax
        mov ax, 3
        EXPECT_FAULT "null ES with RPL 3 loads", NONE, NONE, mov es, ax
        xor eax, eax
        EXPECT_FAULT "null SS is #GP(0)", 13, 0, mov ss, ax
        mov ax, 3
        EXPECT_FAULT "null SS with RPL 3 is #GP(0)", 13, 0, mov ss, ax

        ; ---- SS checks ----
        mov ax, SEL_RO
        EXPECT_FAULT "SS read-only data is #GP(sel)", 13, SEL_RO, mov ss, ax
        mov ax, SEL_KCODE
        EXPECT_FAULT "SS code is #GP(sel)", 13, SEL_KCODE, mov ss, ax
        mov ax, SEL_UDATA
        EXPECT_FAULT "SS DPL 3 at CPL 0 is #GP(sel)", 13, SEL_UDATA & 0xFFFC, mov ss, ax
        mov ax, SEL_KDATA | 3
        EXPECT_FAULT "SS RPL 3 at CPL 0 is #GP(sel)", 13, SEL_KDATA, mov ss, ax
        mov ax, SEL_NP
        EXPECT_FAULT "SS not present is #SS(sel)", 12, SEL_NP, mov ss, ax
        mov ax, SEL_LDT
        EXPECT_FAULT "SS system descriptor is #GP(sel)", 13, SEL_LDT, mov ss, ax
        xor eax, eax
        mov ax, ss
        CHECK_EQ eax, SEL_KDATA, "a faulting SS load leaves SS unchanged"

        ; ---- data segment checks ----
        mov ax, SEL_NP
        EXPECT_FAULT "ES not present is #NP(sel)", 11, SEL_NP, mov es, ax
        mov ax, SEL_XO
        EXPECT_FAULT "ES execute-only code is #GP(sel)", 13, SEL_XO, mov es, ax
        mov ax, SEL_LDT
        EXPECT_FAULT "ES system descriptor is #GP(sel)", 13, SEL_LDT, mov es, ax
        mov ax, SEL_DPL1 | 3
        EXPECT_FAULT "ES RPL 3 above DPL 1 is #GP(sel)", 13, SEL_DPL1, mov es, ax
        mov ax, SEL_KCODE | 3
        EXPECT_FAULT "ES nonconforming code RPL 3 > DPL 0 is #GP(sel)", 13, SEL_KCODE, mov es, ax
        mov ax, SEL_BEYOND
        EXPECT_FAULT "ES past the GDT limit is #GP(sel)", 13, SEL_BEYOND, mov es, ax
        mov ax, SEL_DPL1 | 1
        EXPECT_FAULT "ES DPL 1 RPL 1 at CPL 0 loads", NONE, NONE, mov es, ax
        mov ax, SEL_UDATA
        EXPECT_FAULT "ES DPL 3 at CPL 0 loads", NONE, NONE, mov es, ax
        mov ax, SEL_KCODE
        EXPECT_FAULT "ES readable code loads", NONE, NONE, mov es, ax
        mov eax, [es:test_main]
        CHECK_EQ eax, dword [cs:test_main], "read through ES = readable code"
        EXPECT_FAULT "write through ES = code is #GP(0)", 13, 0, mov [es:test_main], eax
        EXPECT_FAULT "write through CS is #GP(0)", 13, 0, mov [cs:test_main], eax
        mov ax, SEL_CONF | 3
        EXPECT_FAULT "ES conforming code with RPL 3 loads", NONE, NONE, mov es, ax
        mov eax, SEL_NP
        push eax
        mov ebx, esp
        EXPECT_FAULT "POP ES of a not-present selector is #NP(sel)", 11, SEL_NP, pop es
        mov eax, esp
        CHECK_EQ eax, ebx, "a faulting POP ES leaves ESP unchanged"
        add esp, 4
        xor eax, eax
        mov ax, es
        CHECK_EQ eax, SEL_CONF | 3, "a faulting ES load leaves ES unchanged"
        mov dword [SCRATCH + 0x200], 0xABCD
        mov word [SCRATCH + 0x204], SEL_NP
        mov ebx, 0x12345678
        EXPECT_FAULT "LES with a not-present selector is #NP(sel)", 11, SEL_NP, les ebx, [SCRATCH + 0x200]
        CHECK_EQ ebx, 0x12345678, "a faulting LES leaves the register unchanged"

        ; ---- the LDT ----
        mov ax, 0x04
        EXPECT_FAULT "LDT selector with a null LDTR is #GP(sel)", 13, 0x04, mov es, ax
        mov esi, ldt_template
        mov edi, LDT_BASE
        mov ecx, ldt_template_end - ldt_template
.copy:  mov al, [cs:esi]
        mov [edi], al
        inc esi
        inc edi
        loop .copy
        mov ax, SEL_LDT
        lldt ax
        mov ax, 0x04
        EXPECT_FAULT "LDT data selector loads", NONE, NONE, mov es, ax
        mov eax, [es:0]
        CHECK_EQ eax, 0x55667788, "read through an LDT segment uses its base"
        mov ax, 0x14
        EXPECT_FAULT "LDT not-present data is #NP(sel|TI)", 11, 0x14, mov es, ax
        mov ax, 0x1C
        EXPECT_FAULT "LDT selector past the LDT limit is #GP(sel|TI)", 13, 0x1C, mov es, ax
        xor eax, eax
        lldt ax

        ; ---- the accessed bit ----
        and byte [GDT_BASE + SEL_ACCESSED + 5], 0xFE
        mov ax, SEL_ACCESSED
        mov es, ax
        test byte [GDT_BASE + SEL_ACCESSED + 5], 1
        CHECK nz, "a segment load sets the accessed bit"
        test byte [GDT_BASE + SEL_NP + 5], 1
        CHECK z, "a faulting load does not set the accessed bit"
        and byte [GDT_BASE + SEL_STACK + 5], 0xFE
        mov ax, ss
        mov bx, SEL_STACK
        mov ss, bx
        mov ss, ax
        test byte [GDT_BASE + SEL_STACK + 5], 1
        CHECK nz, "an SS load sets the accessed bit"

        ; ---- limits ----
        mov ax, SEL_SMALL
        mov es, ax
        EXPECT_FAULT "byte at the limit reads", NONE, NONE, mov al, [es:0xFF]
        EXPECT_FAULT "dword ending at the limit reads", NONE, NONE, mov eax, [es:0xFC]
        EXPECT_FAULT "dword crossing the limit is #GP(0)", 13, 0, mov eax, [es:0xFD]
        EXPECT_FAULT "byte past the limit is #GP(0)", 13, 0, mov byte [es:0x100], 1
        EXPECT_FAULT "offset 0xFFFFFFFF is #GP(0)", 13, 0, mov al, [es:0xFFFFFFFF]
        mov ax, SEL_RO
        mov es, ax
        EXPECT_FAULT "read of read-only data works", NONE, NONE, mov eax, [es:0]
        EXPECT_FAULT "write to read-only data is #GP(0)", 13, 0, mov [es:0], eax
        mov ax, SEL_PAGES
        mov es, ax
        EXPECT_FAULT "G=1 limit 0 allows offset 0xFFC", NONE, NONE, mov eax, [es:0xFFC]
        EXPECT_FAULT "G=1 limit 0 faults at 0x1000", 13, 0, mov eax, [es:0x1000]

        ; ---- expand-down ----
        mov ax, SEL_ED16
        mov es, ax
        mov eax, [es:0x1000]
        CHECK_EQ eax, 0xCAFEF00D, "expand-down reads just above its limit"
        EXPECT_FAULT "expand-down B=0 offset at the limit is #GP(0)", 13, 0, mov al, [es:0xFFF]
        EXPECT_FAULT "expand-down B=0 offset 0 is #GP(0)", 13, 0, mov al, [es:0]
        EXPECT_FAULT "expand-down B=0 word at 0xFFFE reads", NONE, NONE, mov ax, [es:0xFFFE]
        EXPECT_FAULT "expand-down B=0 dword past 0xFFFF is #GP(0)", 13, 0, mov eax, [es:0xFFFD]
        EXPECT_FAULT "expand-down B=0 offset 0x10000 is #GP(0)", 13, 0, mov al, [es:0x10000]
        EXPECT_FAULT "expand-down dword straddling the limit is #GP(0)", 13, 0, mov eax, [es:0xFFE]
        mov ax, SEL_ED32
        mov es, ax
        mov eax, [es:0x10000]
        CHECK_EQ eax, 0x0BADBEEF, "expand-down B=1 reads above its limit"
        EXPECT_FAULT "expand-down B=1 offset at the limit is #GP(0)", 13, 0, mov al, [es:0xFFFF]
        EXPECT_FAULT "expand-down B=1 offset 0x12345678 reads", NONE, NONE, mov al, [es:0x12345678]

        ; ---- the stack segment ----
        mov ebp, esp
        mov ax, SEL_STACK
        mov ss, ax
        mov esp, 0xF00
        push dword 0x600DF00D
        mov eax, [SCRATCH + 0xEFC]
        EXPECT_FAULT "SS read past the limit is #SS(0)", 12, 0, mov eax, [ss:0x1000]
        EXPECT_FAULT "EBP-based read past the limit is #SS(0)", 12, 0, mov eax, [ebp]
        mov ax, SEL_EDSTACK
        mov ss, ax
        mov esp, 0x2000
        EXPECT_FAULT "expand-down stack pushes above its limit", NONE, NONE, push eax
        EXPECT_FAULT "expand-down stack read at its limit is #SS(0)", 12, 0, mov eax, [ss:0xFFF]
        mov ax, SEL_KDATA
        mov ss, ax
        mov esp, ebp
        mov eax, [SCRATCH + 0xEFC]
        CHECK_EQ eax, 0x600DF00D, "a push goes to SS base + ESP"

        ; ---- code segment loads by far JMP ----
        mov ax, SEL_KDATA
        mov es, ax
        EXPECT_FAULT "far JMP to a data segment is #GP(sel)", 13, SEL_KDATA, jmp SEL_KDATA:0
        EXPECT_FAULT "far JMP to a not-present code segment is #NP(sel)", 11, SEL_NPCODE, jmp SEL_NPCODE:0
        EXPECT_FAULT "far JMP past the code limit is #GP(0)", 13, 0, jmp SEL_KCODE:0x10000
        EXPECT_FAULT "far JMP to a null selector is #GP(0)", 13, 0, jmp 0:0
        EXPECT_FAULT "far JMP to nonconforming DPL 3 code is #GP(sel)", 13, SEL_UCODE & 0xFFFC, jmp SEL_UCODE:0
        EXPECT_FAULT "MOV to CS is #UD", 6, NONE, db 0x8E, 0xC8
        ARM_FAULT .back_from_xo
        jmp SEL_XO:.in_xo
.in_xo:
        mov eax, [cs:test_main]         ; faults: the handler resumes at .back_from_xo
.back_from_xo:
        jmp SEL_KCODE:.back
.back:
        CHECK_FAULT "read through CS = execute-only code is #GP(0)", 13, 0
        jmp finish

        ROM_END
