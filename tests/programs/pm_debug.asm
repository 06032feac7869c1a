; Debug registers and debug exceptions as a P6 has them (Intel SDM vol. 3, chapter 17): DR0-DR3
; round trips, DR6/DR7 fixed bits, DR4/DR5 aliasing and #UD with CR4.DE, general detect (BD),
; MOV DRn in ring 3, instruction breakpoints (a fault, RF to resume past them, RF cleared after
; one instruction, RF pushed for other faults), data write and read/write breakpoints with
; lengths 1, 2 and 4 (traps), I/O breakpoints with CR4.DE, and TF single-step traps with the
; MOV SS shadow (BS), and the T bit of a TSS (BT).
%include "pm.inc"

        PROGRAM "pm_debug"

        GDT_BEGIN
SEL_TTASK     equ $ - gdt_start     ; a task whose TSS has the T bit
        DESC TTASK_BASE, 0x67, 0x89, 0
        GDT_END

CODE_LINEAR     equ 0xF0000               ; the base of SEL_KCODE
TTASK_BASE      equ SCRATCH + 0x1000
TTASK_STACK     equ SCRATCH + 0x3000
DATA_BP         equ SCRATCH + 0x100

; user_vars: what db_handler records
db_count        equ user_vars + 0
db_eip          equ user_vars + 4         ; the last trap's EIP
db_first_eip    equ user_vars + 8
db_dr6          equ user_vars + 12        ; DR6 at the last #DB (the handler clears it)
db_limit        equ user_vars + 16        ; after this many #DBs the handler clears TF
db_eflags       equ user_vars + 20        ; the EFLAGS image of the last #DB

DR6_BD          equ 1 << 13
DR6_BS          equ 1 << 14
EFLAGS_TF       equ 1 << 8
EFLAGS_RF       equ 1 << 16
CR4_DE          equ 1 << 3

; DR7 fields: local enable of slot n, R/W and LEN of slot n
%define DR7_L(n) (1 << (2 * (n)))
%define DR7_G(n) (2 << (2 * (n)))
%define DR7_RW(n, rw) ((rw) << (16 + 4 * (n)))
%define DR7_LEN(n, len) ((len) << (18 + 4 * (n)))

%macro SET_DR7 1
        mov eax, %1
        mov dr7, eax
%endmacro

bits 32
test_main:
        ; ---- the registers ----
        mov eax, 0x12345678
        mov dr0, eax
        mov ebx, dr0
        CHECK_EQ ebx, 0x12345678, "DR0 round trip"
        mov eax, 0xCAFEF00D
        mov dr3, eax
        mov ebx, dr3
        CHECK_EQ ebx, 0xCAFEF00D, "DR3 round trip"
        xor eax, eax
        mov dr6, eax
        mov ebx, dr6
        CHECK_EQ ebx, 0xFFFF0FF0, "DR6 reads bits 4-11 and 16-31 as ones"
        mov eax, 0xFFFFFFFF
        mov dr6, eax
        mov ebx, dr6
        CHECK_EQ ebx, 0xFFFFEFFF, "DR6 bit 12 reads as zero"
        xor eax, eax
        mov dr7, eax
        mov ebx, dr7
        CHECK_EQ ebx, 0x00000400, "DR7 bit 10 reads as one"
        ; DR4 and DR5 are DR6 and DR7 while CR4.DE is clear
        xor eax, eax
        mov dr6, eax
        db 0x0F, 0x21, 0xE3             ; mov ebx, dr4
        CHECK_EQ ebx, 0xFFFF0FF0, "DR4 reads DR6 without CR4.DE"
        mov eax, 0x00000100             ; LE, no breakpoint
        db 0x0F, 0x23, 0xE8             ; mov dr5, eax
        mov ebx, dr7
        CHECK_EQ ebx, 0x00000500, "DR5 writes DR7 without CR4.DE"
        SET_DR7 0
        mov eax, cr4
        or eax, CR4_DE
        mov cr4, eax
        EXPECT_FAULT "MOV from DR4 with CR4.DE is #UD", 6, NONE, db 0x0F, 0x21, 0xE3
        EXPECT_FAULT "MOV to DR5 with CR4.DE is #UD", 6, NONE, db 0x0F, 0x23, 0xE8
        mov eax, cr4
        and eax, ~CR4_DE
        mov cr4, eax

        ; ---- general detect ----
        xor eax, eax
        mov dr6, eax
        SET_DR7 (1 << 13)
        mov dword [resume_eip], gd_resume
        mov dword [fault_vector], NONE
gd_access:
        mov ebx, dr0
gd_resume:
        CHECK_FAULT "MOV DR with DR7.GD is #DB", 1, NONE
        CHECK_EQ dword [fault_eip], gd_access, "general detect is a fault: EIP of the MOV"
        mov ebx, dr6
        and ebx, DR6_BD
        CHECK_EQ ebx, DR6_BD, "general detect sets DR6.BD"
        mov ebx, dr7
        CHECK_EQ ebx, 0x400, "the processor clears DR7.GD when it delivers #DB"

        ; ---- privilege ----
        ARM_FAULT r3_movdr.resume
        mov eax, r3_movdr
        mov ebx, 0x2
        call enter_ring3
        CHECK_FAULT "MOV from DR7 in ring 3 is #GP(0)", 13, 0

        ; ---- instruction breakpoints ----
        xor eax, eax
        mov dr6, eax
        mov eax, CODE_LINEAR + ibp_target
        mov dr0, eax
        SET_DR7 DR7_L(0)
        xor ecx, ecx
        ARM_FAULT ibp_resume
        jmp ibp_target
ibp_target:
        inc ecx
ibp_resume:
        SET_DR7 0
        CHECK_FAULT "an instruction breakpoint is #DB", 1, NONE
        CHECK_EQ dword [fault_eip], ibp_target, "instruction breakpoint: a fault at the instruction"
        CHECK_EQ ecx, 0, "instruction breakpoint: the instruction has not run"
        mov ebx, dr6
        and ebx, 0xF
        CHECK_EQ ebx, 1, "instruction breakpoint sets B0 only"
        mov ebx, [fault_eflags]
        and ebx, EFLAGS_RF
        CHECK_EQ ebx, 0, "the instruction breakpoint's #DB pushes RF as it was (0)"
        ; a global enable works as well, in slot 3
        mov eax, CODE_LINEAR + ibp_target3
        mov dr3, eax
        SET_DR7 DR7_G(3)
        ARM_FAULT ibp_resume3
        nop
ibp_target3:
        nop
ibp_resume3:
        SET_DR7 0
        CHECK_FAULT "G3 enables an instruction breakpoint", 1, NONE
        mov ebx, dr6
        and ebx, 0xF
        CHECK_EQ ebx, 8, "the slot-3 breakpoint sets B3"
        ; an enabled breakpoint elsewhere does not fire
        mov eax, CODE_LINEAR + finish
        mov dr0, eax
        SET_DR7 DR7_L(0)
        ARM_FAULT ibp_none
        nop
        nop
ibp_none:
        SET_DR7 0
        CHECK_FAULT "a breakpoint on another address does not fire", NONE, NONE
        ; RF: the handler sets it in the image, IRET resumes past the breakpoint once, and the
        ; next pass hits it again
        call install_db_handler
        mov dword [db_limit], 100
        mov eax, CODE_LINEAR + rf_target
        mov dr0, eax
        SET_DR7 DR7_L(0)
        xor ecx, ecx
        mov edx, 2
rf_loop:
rf_target:
        inc ecx
        dec edx
        jnz rf_loop
        SET_DR7 0
        call restore_db_gate
        CHECK_EQ ecx, 2, "RF resumes past an instruction breakpoint"
        CHECK_EQ dword [db_count], 2, "RF is cleared after one instruction: the breakpoint hits again"
        CHECK_EQ dword [db_first_eip], rf_target, "the RF-resumed breakpoint faulted at its address"
        ; other faults push RF = 1
        EXPECT_FAULT "UD2 is #UD", 6, NONE, ud2
        mov ebx, [fault_eflags]
        and ebx, EFLAGS_RF
        CHECK_EQ ebx, EFLAGS_RF, "a fault other than an instruction breakpoint pushes RF = 1"
        EXPECT_FAULT "INT3 is a trap", 3, NONE, int3
        mov ebx, [fault_eflags]
        and ebx, EFLAGS_RF
        CHECK_EQ ebx, 0, "a trap (INT3) pushes RF = 0"

        ; ---- data breakpoints ----
        xor eax, eax
        mov dr6, eax
        mov dword [DATA_BP], 0
        mov eax, DATA_BP
        mov dr1, eax
        SET_DR7 DR7_L(1) | DR7_RW(1, 1) | DR7_LEN(1, 3)   ; write, 4 bytes
        ARM_FAULT dbp_write_done
        mov eax, 0x5A5A5A5A
dbp_write:
        mov [DATA_BP], eax
dbp_write_done:
        CHECK_FAULT "a data write breakpoint is #DB", 1, NONE
        CHECK_EQ dword [fault_eip], dbp_write_done, "a data breakpoint is a trap: EIP after the write"
        SET_DR7 0
        CHECK_EQ dword [DATA_BP], 0x5A5A5A5A, "the write completed before the trap"
        mov ebx, dr6
        and ebx, 0xF
        CHECK_EQ ebx, 2, "the slot-1 data breakpoint sets B1"
        SET_DR7 DR7_L(1) | DR7_RW(1, 1) | DR7_LEN(1, 3)
        ARM_FAULT dbp_read_done
        mov eax, [DATA_BP]
dbp_read_done:
        CHECK_FAULT "a read does not hit a write breakpoint", NONE, NONE
        ARM_FAULT dbp_byte_done
        mov byte [DATA_BP + 3], 1
dbp_byte_done:
        CHECK_FAULT "a byte write inside the 4 bytes hits", 1, NONE
        ARM_FAULT dbp_after_done
        mov byte [DATA_BP + 4], 1
dbp_after_done:
        CHECK_FAULT "a byte write after the 4 bytes does not hit", NONE, NONE
        ARM_FAULT dbp_cross_done
        mov dword [DATA_BP - 2], 0
dbp_cross_done:
        CHECK_FAULT "a dword write overlapping the first 2 bytes hits", 1, NONE
        SET_DR7 DR7_L(1) | DR7_RW(1, 3) | DR7_LEN(1, 3)    ; read or write
        ARM_FAULT dbp_rw_done
        mov eax, [DATA_BP]
dbp_rw_done:
        CHECK_FAULT "a read hits a read/write breakpoint", 1, NONE
        ; LEN 2 at an even address
        mov eax, DATA_BP + 0x10
        mov dr2, eax
        SET_DR7 DR7_L(2) | DR7_RW(2, 1) | DR7_LEN(2, 1)
        ARM_FAULT dbp_len2_done
        mov byte [DATA_BP + 0x11], 1
dbp_len2_done:
        CHECK_FAULT "LEN 2: a write to the second byte hits", 1, NONE
        ARM_FAULT dbp_len2_miss
        mov byte [DATA_BP + 0x12], 1
dbp_len2_miss:
        CHECK_FAULT "LEN 2: a write to the third byte does not", NONE, NONE
        ; LEN 4 ignores the low address bits: DR2 = +0x23 covers +0x20..+0x23
        mov eax, DATA_BP + 0x23
        mov dr2, eax
        SET_DR7 DR7_L(2) | DR7_RW(2, 1) | DR7_LEN(2, 3)
        ARM_FAULT dbp_align_done
        mov byte [DATA_BP + 0x20], 1
dbp_align_done:
        CHECK_FAULT "LEN 4 breakpoints are aligned: the low bits are ignored", 1, NONE
        ; LEN 1
        mov eax, DATA_BP + 0x31
        mov dr2, eax
        SET_DR7 DR7_L(2) | DR7_RW(2, 1) | DR7_LEN(2, 0)
        ARM_FAULT dbp_len1_miss
        mov byte [DATA_BP + 0x30], 1
dbp_len1_miss:
        CHECK_FAULT "LEN 1: the byte before does not hit", NONE, NONE
        ARM_FAULT dbp_len1_done
        mov word [DATA_BP + 0x30], 1
dbp_len1_done:
        CHECK_FAULT "LEN 1: a word write covering it hits", 1, NONE
        ; a PUSH hits a breakpoint on the stack too
        mov eax, KSTACK_TOP - 0x104
        mov dr2, eax
        SET_DR7 DR7_L(2) | DR7_RW(2, 1) | DR7_LEN(2, 3)
        mov ebx, esp
        mov esp, KSTACK_TOP - 0x100
        ARM_FAULT dbp_push_done
        push dword 7
dbp_push_done:
        mov esp, ebx
        CHECK_FAULT "a PUSH hits a write breakpoint on the stack", 1, NONE
        ; two breakpoints at once set both B bits
        xor eax, eax
        mov dr6, eax
        mov eax, DATA_BP + 0x40
        mov dr0, eax
        mov eax, DATA_BP + 0x44
        mov dr3, eax
        SET_DR7 DR7_L(0) | DR7_RW(0, 1) | DR7_LEN(0, 3) | DR7_L(3) | DR7_RW(3, 1) | DR7_LEN(3, 3)
        ARM_FAULT dbp_two_done
        mov dword [DATA_BP + 0x42], 0
dbp_two_done:
        SET_DR7 0
        CHECK_FAULT "a write over two breakpoints is one #DB", 1, NONE
        mov ebx, dr6
        and ebx, 0xF
        CHECK_EQ ebx, 9, "... with B0 and B3 set"
        ; disabled, nothing
        mov eax, DATA_BP
        mov dr1, eax
        SET_DR7 DR7_RW(1, 1) | DR7_LEN(1, 3)
        ARM_FAULT dbp_off_done
        mov dword [DATA_BP], 0
dbp_off_done:
        CHECK_FAULT "a breakpoint without L or G does not fire", NONE, NONE

        ; ---- I/O breakpoints ----
        xor eax, eax
        mov dr6, eax
        mov eax, 0x80
        mov dr2, eax
        SET_DR7 DR7_L(2) | DR7_RW(2, 2) | DR7_LEN(2, 0)
        ARM_FAULT iobp_node_done
        out 0x80, al
iobp_node_done:
        CHECK_FAULT "R/W 10 without CR4.DE is no I/O breakpoint", NONE, NONE
        mov eax, cr4
        or eax, CR4_DE
        mov cr4, eax
        ARM_FAULT iobp_done
        out 0x80, al
iobp_done:
        CHECK_FAULT "OUT to an I/O breakpoint with CR4.DE is #DB", 1, NONE
        CHECK_EQ dword [fault_eip], iobp_done, "an I/O breakpoint is a trap"
        mov ebx, dr6
        and ebx, 0xF
        CHECK_EQ ebx, 4, "the I/O breakpoint sets B2"
        ARM_FAULT iobp_in_done
        mov dx, 0x80
        in ax, dx
iobp_in_done:
        CHECK_FAULT "IN of a word covering the port hits", 1, NONE
        ARM_FAULT iobp_other_done
        out 0x81, al
iobp_other_done:
        CHECK_FAULT "another port does not hit", NONE, NONE
        SET_DR7 0
        mov eax, cr4
        and eax, ~CR4_DE
        mov cr4, eax

        ; ---- single step ----
        call install_db_handler
        mov dword [db_limit], 1
        xor eax, eax
        mov dr6, eax
        pushfd
        or dword [esp], EFLAGS_TF
        popfd
        nop                             ; the trap comes after this one
ss_after_first:
        nop
        call restore_db_gate
        CHECK_EQ dword [db_count], 1, "TF set by POPF: one trap"
        CHECK_EQ dword [db_first_eip], ss_after_first, "TF set by POPF traps after the next instruction"
        mov ebx, [db_dr6]
        and ebx, DR6_BS
        CHECK_EQ ebx, DR6_BS, "a single-step trap sets DR6.BS"
        mov ebx, [db_eflags]
        and ebx, EFLAGS_TF
        CHECK_EQ ebx, EFLAGS_TF, "the single-step trap's image has TF"
        ; three steps
        call install_db_handler
        mov dword [db_limit], 3
        pushfd
        or dword [esp], EFLAGS_TF
        popfd
        nop
        nop
        nop
ss_third:
        nop
        call restore_db_gate
        CHECK_EQ dword [db_count], 3, "three single steps"
        CHECK_EQ dword [db_eip], ss_third, "the third trap after the third instruction"
        ; MOV SS holds the trap back for one instruction
        call install_db_handler
        mov dword [db_limit], 1
        mov ax, ss
        pushfd
        or dword [esp], EFLAGS_TF
        popfd
        mov ss, ax                      ; would trap here, but the shadow defers it
        nop
ss_after_shadow:
        nop
        call restore_db_gate
        CHECK_EQ dword [db_first_eip], ss_after_shadow, "MOV SS delays the single-step trap by one instruction"
        ; an instruction breakpoint and RF under single step
        call install_db_handler
        mov dword [db_limit], 2
        mov eax, CODE_LINEAR + ss_bp
        mov dr0, eax
        SET_DR7 DR7_L(0)
        pushfd
        or dword [esp], EFLAGS_TF
        popfd
        nop                             ; #1: single-step trap after it, EIP ss_bp
ss_bp:
        nop                             ; #2: the breakpoint (RF set by the trap handler
                                        ; suppresses it), then the step trap after it
ss_bp_after:
        nop
        SET_DR7 0
        call restore_db_gate
        CHECK_EQ dword [db_count], 2, "RF set by the step handler passes the breakpoint"
        CHECK_EQ dword [db_eip], ss_bp_after, "... and the next step traps after it"


        ; ---- the TSS T bit ----
        mov edi, TTASK_BASE
        mov ecx, 0x68 / 4
        xor eax, eax
        rep stosd
        mov dword [TTASK_BASE + 0x20], ttask_entry      ; EIP
        mov dword [TTASK_BASE + 0x24], 0x2              ; EFLAGS
        mov dword [TTASK_BASE + 0x38], TTASK_STACK      ; ESP
        mov dword [TTASK_BASE + 0x48], SEL_KDATA        ; ES
        mov dword [TTASK_BASE + 0x4C], SEL_KCODE        ; CS
        mov dword [TTASK_BASE + 0x50], SEL_KDATA        ; SS
        mov dword [TTASK_BASE + 0x54], SEL_KDATA        ; DS
        mov word [TTASK_BASE + 0x64], 1                 ; T
        mov word [TTASK_BASE + 0x66], 0x68
        xor eax, eax
        mov dr6, eax
        mov dword [fault_vector], NONE
        jmp SEL_TTASK:0                 ; the task jumps back to here
        CHECK_FAULT "a switch to a TSS with T set is #DB", 1, NONE
        CHECK_EQ dword [fault_eip], ttask_entry, "the T-bit trap comes before the task's first instruction"
        mov ebx, dr6
        and ebx, 1 << 15
        CHECK_EQ ebx, 1 << 15, "the T-bit trap sets DR6.BT"
        jmp finish

ttask_entry:
        jmp SEL_TSS0:0

; The ring-3 part of the privilege test.
r3_movdr:
        mov eax, dr7
.resume:
        int RING0_RETURN_VECTOR

install_db_handler:
        mov dword [db_count], 0
        mov dword [db_first_eip], NONE
        SET_GATE 1, SEL_KCODE, db_handler, 0x8E
        ret

restore_db_gate:
        SET_GATE 1, SEL_KCODE, exception_stubs + 16, 0x8E
        ret

; #DB: counts, records EIP, DR6 and EFLAGS, clears DR6, sets RF in the image (so an
; instruction breakpoint is passed once), and clears TF in it after db_limit traps.
db_handler:
        push eax
        push ds
        mov ax, SEL_KDATA
        mov ds, ax
        inc dword [db_count]
        mov eax, [esp + 8]
        mov [db_eip], eax
        cmp dword [db_first_eip], NONE
        jne .recorded
        mov [db_first_eip], eax
.recorded:
        mov eax, [esp + 16]
        mov [db_eflags], eax
        mov eax, dr6
        mov [db_dr6], eax
        xor eax, eax
        mov dr6, eax
        or dword [esp + 16], EFLAGS_RF
        mov eax, [db_count]
        cmp eax, [db_limit]
        jb .keep_tf
        and dword [esp + 16], ~EFLAGS_TF
.keep_tf:
        pop ds
        pop eax
        iretd

        ROM_END
