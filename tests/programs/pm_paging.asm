; Two-level paging (Intel SDM vol. 3, chapter 4, 32-bit paging): 4 KiB pages and 4 MiB pages
; with CR4.PSE, accessed and dirty bits in the PDE and PTE, U/S and R/W with CR0.WP, #PF error
; codes and CR2 (also for an access that crosses into a not-present page, and for a fetch),
; INVLPG, CR3 reloads, and global pages with CR4.PGE.
%include "pm.inc"

        PROGRAM "pm_paging"

        GDT_BEGIN
SEL_FLATCODE  equ $ - gdt_start      ; 32-bit code, base 0, 4 GiB, DPL 0
        DESC 0, 0xFFFFF, ACC_CODE, FLAGS_32G
        GDT_END

PD              equ 0x40000
PT0             equ 0x41000               ; maps linear 0-4 MiB
PTE_P           equ 1
PTE_W           equ 2
PTE_U           equ 4
PTE_A           equ 0x20
PTE_D           equ 0x40
PDE_PS          equ 0x80
PTE_G           equ 0x100
CR0_PG          equ 1 << 31
CR0_WP          equ 1 << 16
CR4_PSE         equ 1 << 4
CR4_PGE         equ 1 << 7

; test pages (linear) and what PT0 maps them to
ALIAS           equ 0x50000               ; -> physical 0x60000
MISSING         equ 0x51000               ; not present
KERNEL_RO       equ 0x52000               ; supervisor, read-only
USER_RO         equ 0x53000               ; user, read-only
USER_RW         equ 0x54000               ; user, writable
GLOBAL_PAGE     equ 0x55000               ; -> physical 0x62000, global
BIG             equ 0x400000              ; a 4 MiB page -> physical 0
TWIN1           equ 0x58000               ; -> physical TWIN_CODE, the next page -> TWIN_ONE
TWIN2           equ 0x5A000               ; -> physical TWIN_CODE, the next page -> TWIN_TWO
TWIN_CODE       equ 0x64000
TWIN_ONE        equ 0x65000
TWIN_TWO        equ 0x66000

%define PTE_OF(linear) (PT0 + ((linear) >> 12) * 4)

bits 32
test_main:
        ; ---- the tables: PT0 identity, user and writable; then the test pages ----
        mov edi, PD
        mov ecx, 1024
        xor eax, eax
        rep stosd
        mov edi, PT0
        mov eax, PTE_P | PTE_W | PTE_U
        mov ecx, 1024
.fill:
        stosd
        add eax, 0x1000
        loop .fill
        mov dword [PD + 0], PT0 | PTE_P | PTE_W | PTE_U
        mov dword [PD + 4], 0 | PDE_PS | PTE_P | PTE_W | PTE_U
        mov dword [PTE_OF(ALIAS)], 0x60000 | PTE_P | PTE_W | PTE_U
        mov dword [PTE_OF(MISSING)], 0
        mov dword [PTE_OF(KERNEL_RO)], KERNEL_RO | PTE_P
        mov dword [PTE_OF(USER_RO)], USER_RO | PTE_P | PTE_U
        mov dword [PTE_OF(USER_RW)], USER_RW | PTE_P | PTE_W | PTE_U
        mov dword [PTE_OF(GLOBAL_PAGE)], 0x62000 | PTE_P | PTE_W | PTE_G
        mov dword [0x60000], 0x60606060
        mov dword [0x61000], 0x61616161
        mov dword [0x62000], 0x62626262
        mov dword [0x63000], 0x63636363
        mov eax, PD
        mov cr3, eax
        mov eax, cr4
        or eax, CR4_PSE
        mov cr4, eax
        mov eax, cr0
        or eax, CR0_PG
        mov cr0, eax
        jmp .paged
.paged:
        mov eax, cr0
        and eax, CR0_PG
        CHECK_EQ eax, CR0_PG, "paging on, identity-mapped code runs"

        ; ---- 4 KiB pages, accessed and dirty ----
        and dword [PD + 0], ~(PTE_A | PTE_D)
        mov eax, [ALIAS]
        CHECK_EQ eax, 0x60606060, "a 4 KiB page maps to its frame"
        mov eax, [PTE_OF(ALIAS)]
        and eax, PTE_A | PTE_D
        CHECK_EQ eax, PTE_A, "a read sets A, not D"
        mov eax, [PD + 0]
        and eax, PTE_A
        CHECK_EQ eax, PTE_A, "a walk sets A in the PDE"
        mov dword [ALIAS + 4], 0x12345678
        mov eax, [PTE_OF(ALIAS)]
        and eax, PTE_A | PTE_D
        CHECK_EQ eax, PTE_A | PTE_D, "the first write sets D, after a read filled the TLB"
        CHECK_EQ dword [0x60004], 0x12345678, "the write went to the frame"
        mov eax, [PD + 0]
        and eax, PTE_D
        CHECK_EQ eax, 0, "a write does not set D in a PDE that points to a table"

        ; ---- 4 MiB pages ----
        mov dword [user_vars], 0xB16B00B5
        mov eax, [BIG + user_vars]
        CHECK_EQ eax, 0xB16B00B5, "a 4 MiB page maps linear 4 MiB to physical 0"
        mov eax, [PD + 4]
        and eax, PTE_A | PTE_D
        CHECK_EQ eax, PTE_A, "a read sets A in the 4 MiB PDE"
        mov dword [BIG + user_vars + 4], 0x0BADF00D
        mov eax, [PD + 4]
        and eax, PTE_A | PTE_D
        CHECK_EQ eax, PTE_A | PTE_D, "a write sets D in the 4 MiB PDE"
        CHECK_EQ dword [user_vars + 4], 0x0BADF00D, "the write through the 4 MiB page"
        mov eax, [BIG + 0x3FF000 + 0x10]
        mov ebx, [0x3FF000 + 0x10]
        CHECK_EQ eax, ebx, "the last 4 KiB of the 4 MiB page"
        ; without CR4.PSE the PS bit is ignored: the PDE points to a table at physical 0
        mov dword [0], 0                ; that table's entry 0: not present
        mov eax, cr4
        and eax, ~CR4_PSE
        mov cr4, eax
        mov dword [resume_eip], .nopse_resume
        mov dword [fault_vector], NONE
        mov eax, [BIG + 0x10]
.nopse_resume:
        CHECK_FAULT "without CR4.PSE the PS bit is ignored", 14, 0
        mov eax, cr4
        or eax, CR4_PSE
        mov cr4, eax

        ; ---- #PF error codes and CR2 ----
        EXPECT_FAULT "supervisor read of a not-present page is #PF(0)", 14, 0, mov eax, [MISSING + 0x10]
        mov eax, cr2
        CHECK_EQ eax, MISSING + 0x10, "CR2 holds the faulting address"
        EXPECT_FAULT "supervisor write to a not-present page is #PF(2)", 14, 2, mov dword [MISSING + 0x20], 1
        mov dword [ALIAS + 0xFFC], 0xAAAAAAAA
        EXPECT_FAULT "a dword crossing into a not-present page is #PF(2)", 14, 2, mov dword [ALIAS + 0xFFE], 0x55555555
        mov eax, cr2
        CHECK_EQ eax, MISSING, "CR2 of a crossing access: the start of the missing page"
        CHECK_EQ dword [ALIAS + 0xFFC], 0xAAAAAAAA, "the crossing write changed nothing"
        mov dword [KERNEL_RO + 0x30], 0x11111111
        CHECK_EQ dword [KERNEL_RO + 0x30], 0x11111111, "CR0.WP clear: ring 0 writes a read-only page"
        mov eax, cr0
        or eax, CR0_WP
        mov cr0, eax
        EXPECT_FAULT "CR0.WP set: ring 0 write to a read-only page is #PF(3)", 14, 3, mov dword [KERNEL_RO + 0x30], 2
        mov eax, cr0
        and eax, ~CR0_WP
        mov cr0, eax
        ; a fetch from a not-present page
        mov dword [resume_eip], 0xF0000 + .fetch_resume
        mov dword [fault_vector], NONE
        mov dword [fault_error], NONE
        call SEL_FLATCODE:MISSING
.fetch_resume:
        jmp SEL_KCODE:.fetch_back       ; the handler resumed in the flat code segment
.fetch_back:
        CHECK_FAULT "a fetch from a not-present page is #PF(0)", 14, 0
        mov eax, cr2
        CHECK_EQ eax, MISSING, "CR2 of a fetch"
        add esp, 8                      ; the far call's return address
        ; ring 3
        ARM_FAULT r3_kernel_read.resume
        mov eax, r3_kernel_read
        mov ebx, 0x2
        call enter_ring3
        CHECK_FAULT "user read of a supervisor page is #PF(5)", 14, 5
        ARM_FAULT r3_ro_write.resume
        mov eax, r3_ro_write
        mov ebx, 0x2
        call enter_ring3
        CHECK_FAULT "user write to a read-only page is #PF(7)", 14, 7
        ARM_FAULT r3_missing.resume
        mov eax, r3_missing
        mov ebx, 0x2
        call enter_ring3
        CHECK_FAULT "user read of a not-present page is #PF(4)", 14, 4
        ARM_FAULT r3_rw.resume
        mov eax, r3_rw
        mov ebx, 0x2
        call enter_ring3
        CHECK_FAULT "user read and write of a user page", NONE, NONE
        CHECK_EQ dword [USER_RW], 0x33333333, "the user write landed"
        ARM_FAULT r3_ro_read.resume
        mov eax, r3_ro_read
        mov ebx, 0x2
        call enter_ring3
        CHECK_FAULT "user read of a read-only user page", NONE, NONE

        ; ---- INVLPG and CR3 ----
        mov eax, [ALIAS]                ; the TLB holds ALIAS -> 0x60000
        mov dword [PTE_OF(ALIAS)], 0x61000 | PTE_P | PTE_W | PTE_U
        invlpg [ALIAS]
        CHECK_EQ dword [ALIAS], 0x61616161, "after INVLPG the new PTE is used"
        mov dword [PTE_OF(ALIAS)], 0x60000 | PTE_P | PTE_W | PTE_U
        mov eax, cr3
        mov cr3, eax
        CHECK_EQ dword [ALIAS], 0x60606060, "after a CR3 load the new PTE is used"
        mov dword [PTE_OF(MISSING)], 0x61000 | PTE_P | PTE_W
        invlpg [MISSING]
        CHECK_EQ dword [MISSING], 0x61616161, "a page made present is reachable after INVLPG"
        mov dword [PTE_OF(MISSING)], 0
        invlpg [MISSING]
        EXPECT_FAULT "and gone again after INVLPG", 14, 0, mov eax, [MISSING]

        ; ---- global pages ----
        mov eax, cr4
        or eax, CR4_PGE
        mov cr4, eax
        CHECK_EQ dword [GLOBAL_PAGE], 0x62626262, "a global page maps to its frame"
        mov dword [PTE_OF(GLOBAL_PAGE)], 0x63000 | PTE_P | PTE_W | PTE_G
        mov eax, cr3
        mov cr3, eax
        CHECK_EQ dword [GLOBAL_PAGE], 0x62626262, "with CR4.PGE a CR3 load keeps a global translation"
        invlpg [GLOBAL_PAGE]
        CHECK_EQ dword [GLOBAL_PAGE], 0x63636363, "INVLPG drops a global translation"
        mov dword [PTE_OF(GLOBAL_PAGE)], 0x62000 | PTE_P | PTE_W | PTE_G
        mov eax, cr4
        and eax, ~CR4_PGE
        mov cr4, eax
        CHECK_EQ dword [GLOBAL_PAGE], 0x62626262, "clearing CR4.PGE flushes global translations"
        mov dword [PTE_OF(GLOBAL_PAGE)], 0x63000 | PTE_P | PTE_W | PTE_G
        mov eax, cr3
        mov cr3, eax
        CHECK_EQ dword [GLOBAL_PAGE], 0x63636363, "without CR4.PGE the G bit keeps nothing"

        ; ---- one code page at two linear addresses: a CALL to the page after it leads to the
        ; code the linear address maps there (blocks are found by physical address, links
        ; must not carry the first mapping's target over to the second) ----
        mov dword [PTE_OF(TWIN1)], TWIN_CODE | PTE_P | PTE_W
        mov dword [PTE_OF(TWIN1 + 0x1000)], TWIN_ONE | PTE_P | PTE_W
        mov dword [PTE_OF(TWIN2)], TWIN_CODE | PTE_P | PTE_W
        mov dword [PTE_OF(TWIN2 + 0x1000)], TWIN_TWO | PTE_P | PTE_W
        mov eax, cr3
        mov cr3, eax
        mov byte [TWIN_CODE], 0xE8                  ; call (next page + 0x10)
        mov dword [TWIN_CODE + 1], 0x1010 - 5
        mov byte [TWIN_CODE + 5], 0xC3              ; ret
        mov dword [TWIN_ONE + 0x10], 0x000001B8     ; mov eax, 1
        mov word [TWIN_ONE + 0x14], 0xC300          ; ret
        mov dword [TWIN_TWO + 0x10], 0x000002B8     ; mov eax, 2
        mov word [TWIN_TWO + 0x14], 0xC300          ; ret
        call SEL_FLATCODE:0xF0000 + flat_twins
        CHECK_EQ esi, 3, "a CALL through the first mapping reaches its next page"
        CHECK_EQ edi, 6, "the same CALL through a second mapping reaches that one's next page"

        mov eax, cr0
        and eax, ~CR0_PG
        mov cr0, eax
        jmp finish

; Calls TWIN1 and TWIN2 three times each from flat code (a far call would start every call
; in a new chaining context): ESI and EDI are the sums of what they return.
flat_twins:
        xor esi, esi
        mov ecx, 3
.one:
        mov edx, TWIN1
        call edx
        add esi, eax
        loop .one
        xor edi, edi
        mov ecx, 3
.two:
        mov edx, TWIN2
        call edx
        add edi, eax
        loop .two
        retf

r3_kernel_read:
        mov eax, [KERNEL_RO]
.resume:
        int RING0_RETURN_VECTOR
r3_ro_write:
        mov dword [USER_RO], 1
.resume:
        int RING0_RETURN_VECTOR
r3_missing:
        mov eax, [MISSING + 4]
.resume:
        int RING0_RETURN_VECTOR
r3_rw:
        mov dword [USER_RW], 0x33333333
        mov eax, [USER_RW]
.resume:
        int RING0_RETURN_VECTOR
r3_ro_read:
        mov eax, [USER_RO]
.resume:
        int RING0_RETURN_VECTOR

        ROM_END
