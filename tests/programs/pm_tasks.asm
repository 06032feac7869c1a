; Hardware task switches (Intel SDM vol. 3, chapter 7): JMP and CALL to a TSS descriptor and
; through task gates in the GDT and the IDT; the state saved in the old TSS and loaded from the
; new one; the busy bits (JMP clears the old task's, CALL and INT keep it, IRET clears the
; nested task's); the back link and NT for nested tasks and IRET back through them; CR0.TS
; set by every switch; #GP(sel) for a CALL to a busy task, #TS(sel) for a TSS limit below
; 0x67 and for an IRET whose back link names a task that is not busy.
%include "pm.inc"

        PROGRAM "pm_tasks"

TSS1_BASE     equ 0x3100
TSS2_BASE     equ 0x3200
TSS_SMALL_BASE equ 0x3300
TSS3_BASE     equ 0x3400

        GDT_BEGIN
SEL_TSS1      equ $ - gdt_start
        DESC TSS1_BASE, 0x67, 0x89, 0
SEL_TSS2      equ $ - gdt_start
        DESC TSS2_BASE, 0x67, 0x89, 0
SEL_TSS_SMALL equ $ - gdt_start     ; a 32-bit TSS with limit 0x60: too small
        DESC TSS_SMALL_BASE, 0x60, 0x89, 0
SEL_TASKGATE1 equ $ - gdt_start     ; task gate to TSS1, DPL 0
        GATE SEL_TSS1, 0, 0x85, 0
SEL_TASKGATE2 equ $ - gdt_start     ; task gate to TSS2, DPL 0
        GATE SEL_TSS2, 0, 0x85, 0
SEL_TSS3      equ $ - gdt_start     ; a task whose ES is execute-only code
        DESC TSS3_BASE, 0x67, 0x89, 0
SEL_XO        equ $ - gdt_start     ; execute-only code
        DESC 0xF0000, 0xFFFF, 0x98, FLAGS_32
        GDT_END

; What the tasks record (user_vars + ...).
T1_TR      equ user_vars + 0
T1_EAX     equ user_vars + 4
T1_FLAGS   equ user_vars + 8
T1_CR0     equ user_vars + 12
T1_TYPE0   equ user_vars + 16
T1_TYPE1   equ user_vars + 20
T1_COUNT   equ user_vars + 24
T2_TR      equ user_vars + 28
T2_FLAGS   equ user_vars + 32
T2_LINK    equ user_vars + 36
T2_TYPE0   equ user_vars + 40
T2_TYPE2   equ user_vars + 44
T2_FS      equ user_vars + 48
T2_OLDEIP  equ user_vars + 52
T2_OLDEBX  equ user_vars + 56
T2_COUNT   equ user_vars + 60
T2_ESP     equ user_vars + 64
T3_TR      equ user_vars + 68

%define TYPE_OF(sel) byte [GDT_BASE + (sel) + 5]

bits 32
; init_tss: EDI the TSS base, EAX the entry point, EBX the stack; a ring-0 flat task.
init_tss:
        push eax
        push edi
        push ecx
        xor eax, eax
        mov ecx, 0x68 / 4
        rep stosd
        pop ecx
        pop edi
        pop eax
        mov [edi + 0x20], eax                   ; EIP
        mov dword [edi + 0x24], 0x2             ; EFLAGS
        mov dword [edi + 0x28], 0x1111          ; EAX
        mov [edi + 0x38], ebx                   ; ESP
        mov dword [edi + 0x48], SEL_KDATA       ; ES
        mov dword [edi + 0x4C], SEL_KCODE       ; CS
        mov dword [edi + 0x50], SEL_KDATA       ; SS
        mov dword [edi + 0x54], SEL_KDATA       ; DS
        mov word [edi + 0x66], 0x68
        ret

task1:
        mov [T1_EAX], eax
        str eax
        movzx eax, ax
        mov [T1_TR], eax
        pushfd
        pop dword [T1_FLAGS]
        mov eax, cr0
        mov [T1_CR0], eax
        movzx eax, TYPE_OF(SEL_TSS0)
        mov [T1_TYPE0], eax
        movzx eax, TYPE_OF(SEL_TSS1)
        mov [T1_TYPE1], eax
        inc dword [T1_COUNT]
        clts
        jmp SEL_TSS0:0
.back:
        jmp task1

task2:
        str eax
        movzx eax, ax
        mov [T2_TR], eax
        pushfd
        pop dword [T2_FLAGS]
        movzx eax, word [TSS2_BASE]
        mov [T2_LINK], eax
        movzx eax, TYPE_OF(SEL_TSS0)
        mov [T2_TYPE0], eax
        movzx eax, TYPE_OF(SEL_TSS2)
        mov [T2_TYPE2], eax
        xor eax, eax
        mov ax, fs
        mov [T2_FS], eax
        mov eax, [TSS0_BASE + 0x20]
        mov [T2_OLDEIP], eax
        mov eax, [TSS0_BASE + 0x34]
        mov [T2_OLDEBX], eax
        mov [T2_ESP], esp
        inc dword [T2_COUNT]
        clts
        iretd
        jmp task2

test_main:
        mov edi, TSS1_BASE
        mov eax, task1
        mov ebx, 0x1A000
        call init_tss
        mov edi, TSS2_BASE
        mov eax, task2
        mov ebx, 0x19000
        call init_tss
        mov dword [TSS2_BASE + 0x58], SEL_UDATA     ; FS
        mov edi, TSS_SMALL_BASE
        mov eax, task1
        mov ebx, 0x18000
        call init_tss

        ; ---- JMP to a TSS ----
        mov eax, 0xAAAA
        mov ebx, 0xB0B0B0B0
        mov ebp, esp
        jmp SEL_TSS1:0
after_jmp1:
        CHECK_EQ eax, 0xAAAA, "JMP back restores EAX from the old TSS"
        CHECK_EQ ebx, 0xB0B0B0B0, "JMP back restores EBX"
        mov ecx, esp
        CHECK_EQ ecx, ebp, "JMP back restores ESP"
        CHECK_EQ dword [T1_COUNT], 1, "JMP to a TSS runs the task"
        CHECK_EQ dword [T1_TR], SEL_TSS1, "JMP to a TSS loads TR"
        CHECK_EQ dword [T1_EAX], 0x1111, "JMP to a TSS loads EAX from it"
        mov eax, [T1_FLAGS]
        and eax, 0x4000
        CHECK_EQ eax, 0, "JMP to a task leaves NT clear"
        mov eax, [T1_CR0]
        and eax, 8
        CHECK_EQ eax, 8, "a task switch sets CR0.TS"
        CHECK_EQ dword [T1_TYPE0], 0x89, "JMP clears the old task's busy bit"
        CHECK_EQ dword [T1_TYPE1], 0x8B, "JMP sets the new task's busy bit"
        movzx eax, TYPE_OF(SEL_TSS1)
        CHECK_EQ eax, 0x89, "JMP back clears the busy bit of the task left"
        movzx eax, TYPE_OF(SEL_TSS0)
        CHECK_EQ eax, 0x8B, "JMP back sets the busy bit of the task resumed"
        CHECK_EQ dword [TSS0_BASE + 0x20], after_jmp1, "the old TSS holds the EIP after the JMP"
        CHECK_EQ dword [TSS1_BASE + 0x20], task1.back, "the task left holds the EIP after its JMP"
        movzx eax, word [TSS1_BASE]
        CHECK_EQ eax, 0, "JMP writes no back link"
        str eax
        CHECK_EQ eax, SEL_TSS0, "TR is the main task again"
        clts

        ; ---- CALL to a TSS and IRET back ----
        mov ebx, 0xC0C0C0C0
        call SEL_TSS2:0
after_call2:
        CHECK_EQ dword [T2_COUNT], 1, "CALL to a TSS runs the task"
        CHECK_EQ dword [T2_TR], SEL_TSS2, "CALL to a TSS loads TR"
        mov eax, [T2_FLAGS]
        and eax, 0x4000
        CHECK_EQ eax, 0x4000, "CALL to a task sets NT in it"
        CHECK_EQ dword [T2_LINK], SEL_TSS0, "CALL writes the back link"
        CHECK_EQ dword [T2_TYPE0], 0x8B, "CALL keeps the caller busy"
        CHECK_EQ dword [T2_TYPE2], 0x8B, "CALL marks the new task busy"
        CHECK_EQ dword [T2_FS], SEL_UDATA, "the new task's FS comes from its TSS"
        CHECK_EQ dword [T2_OLDEIP], after_call2, "the caller's TSS holds the EIP after the CALL"
        CHECK_EQ dword [T2_OLDEBX], 0xC0C0C0C0, "the caller's TSS holds EBX"
        CHECK_EQ dword [T2_ESP], 0x19000, "the new task's ESP comes from its TSS"
        movzx eax, TYPE_OF(SEL_TSS2)
        CHECK_EQ eax, 0x89, "IRET to the back link clears the nested task's busy bit"
        pushfd
        pop eax
        and eax, 0x4000
        CHECK_EQ eax, 0, "the caller resumes with NT clear"
        str eax
        CHECK_EQ eax, SEL_TSS0, "IRET back loads the caller's TR"
        CHECK_EQ ebx, 0xC0C0C0C0, "IRET back restores the caller's EBX"
        clts

        ; ---- task gates ----
        jmp SEL_TASKGATE1:0
        CHECK_EQ dword [T1_COUNT], 2, "JMP through a task gate in the GDT"
        CHECK_EQ dword [T1_TR], SEL_TSS1, "the task gate switches to its TSS"
        clts
        mov word [TSS2_BASE], 0
        call SEL_TASKGATE2:0
        CHECK_EQ dword [T2_COUNT], 2, "CALL through a task gate in the GDT"
        CHECK_EQ dword [T2_LINK], SEL_TSS0, "CALL through a task gate writes the back link"
        clts
        SET_GATE 0x47, SEL_TSS2, 0, 0x85
        mov word [TSS2_BASE], 0
        int 0x47
        CHECK_EQ dword [T2_COUNT], 3, "INT through a task gate in the IDT"
        CHECK_EQ dword [T2_LINK], SEL_TSS0, "an interrupt task has a back link"
        mov eax, [T2_FLAGS]
        and eax, 0x4000
        CHECK_EQ eax, 0x4000, "an interrupt task runs with NT set"
        clts

        ; ---- faults ----
        EXPECT_FAULT "CALL to a busy TSS is #GP(sel)", 13, SEL_TSS0, call SEL_TSS0:0
        EXPECT_FAULT "JMP to a TSS with limit < 0x67 is #TS(sel)", 10, SEL_TSS_SMALL, jmp SEL_TSS_SMALL:0
        movzx eax, TYPE_OF(SEL_TSS_SMALL)
        CHECK_EQ eax, 0x89, "the faulting switch leaves the TSS available"
        str eax
        CHECK_EQ eax, SEL_TSS0, "the faulting switch leaves TR"
        mov word [TSS0_BASE], SEL_TSS1  ; a back link to a task that is not busy
        pushfd
        or dword [esp], 0x4000
        popfd
        EXPECT_FAULT "IRET with NT to a task that is not busy is #TS(sel)", 10, SEL_TSS1, iretd
        push dword 0x2
        popfd
        mov word [TSS0_BASE], 0
        clts

        ; a bad segment in the new task: #TS(sel), raised in the new task
        mov edi, TSS3_BASE
        mov eax, task3_unreached
        mov ebx, 0x17000
        call init_tss
        mov dword [TSS3_BASE + 0x48], SEL_XO        ; ES
        ARM_FAULT task3_after_fault
        jmp SEL_TSS3:0
        CHECK_FAULT "a new task's ES of execute-only code is #TS(sel)", 10, SEL_XO
        CHECK_EQ dword [T3_TR], SEL_TSS3, "the #TS is raised in the new task"
        clts
        jmp finish

task3_unreached:
        hlt
task3_after_fault:                      ; task 3, after the #TS handler
        mov ax, SEL_KDATA
        mov ds, ax
        mov es, ax
        str eax
        movzx eax, ax
        mov [T3_TR], eax
        jmp SEL_TSS0:0

        ROM_END
