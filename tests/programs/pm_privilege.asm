; Privilege levels (Intel SDM vol. 3, 5.5-5.9, 6.12): IRET to ring 3, interrupts and
; exceptions from ring 3 that switch to the TSS's ring-0 stack and push SS:ESP, call gates from
; ring 3 with parameter copy and RETF n back, data segment registers nulled on a return to an
; outer level, conforming code that keeps CPL, IOPL-sensitive instructions (CLI, IN, POPF)
; and privileged ones (HLT, MOV CR0, LGDT) in ring 3, and the privilege checks on far
; transfers.
%include "pm.inc"

        PROGRAM "pm_privilege"

        GDT_BEGIN
SEL_GATE3     equ $ - gdt_start     ; 32-bit call gate, DPL 3, 2 parameters, to ring 0
        GATE SEL_KCODE, OFF(gate_handler), 0xEC, 2
SEL_GATE0     equ $ - gdt_start     ; 32-bit call gate, DPL 0, to ring 0
        GATE SEL_KCODE, OFF(gate_handler), 0x8C, 0
SEL_GATE16    equ $ - gdt_start     ; 16-bit call gate, DPL 3, 1 parameter, to ring 0
        GATE SEL_KCODE16, OFF(gate16_handler), 0xE4, 1
SEL_CONF0     equ $ - gdt_start     ; conforming code, DPL 0
        DESC 0xF0000, 0xFFFF, 0x9E, FLAGS_32
        GDT_END

; Variables: user_vars + ...
V_CPL      equ user_vars + 0
V_SS       equ user_vars + 4
V_ES       equ user_vars + 8
V_DS       equ user_vars + 12
V_FS       equ user_vars + 16
V_GS       equ user_vars + 20
V_FLAGS    equ user_vars + 24
V_ESP      equ user_vars + 28
G_ESP      equ user_vars + 32      ; the call-gate handler's view of its stack
G_SS       equ user_vars + 36
G_EIP      equ user_vars + 40
G_CS       equ user_vars + 44
G_P0       equ user_vars + 48
G_P1       equ user_vars + 52
G_OLDESP   equ user_vars + 56
G_OLDSS    equ user_vars + 60
V_CONF_CS  equ user_vars + 64

bits 32
; The call gate's ring-0 handler: notes its stack, loads ES with ring-0 data (which the return
; to ring 3 must null) and returns with RETF 8.
gate_handler:
        mov [ss:G_ESP], esp
        xor eax, eax
        mov ax, ss
        mov [ss:G_SS], eax
        mov eax, [esp]
        mov [ss:G_EIP], eax
        mov eax, [esp + 4]
        mov [ss:G_CS], eax
        mov eax, [esp + 8]
        mov [ss:G_P0], eax
        mov eax, [esp + 12]
        mov [ss:G_P1], eax
        mov eax, [esp + 16]
        mov [ss:G_OLDESP], eax
        mov eax, [esp + 20]
        mov [ss:G_OLDSS], eax
        mov ax, SEL_KDATA
        mov es, ax
        retf 8

bits 16
gate16_handler:
        mov [ss:G_ESP], esp
        movzx eax, word [esp]
        mov [ss:G_EIP], eax
        movzx eax, word [esp + 2]
        mov [ss:G_CS], eax
        movzx eax, word [esp + 4]
        mov [ss:G_P0], eax
        movzx eax, word [esp + 6]
        mov [ss:G_OLDESP], eax
        movzx eax, word [esp + 8]
        mov [ss:G_OLDSS], eax
        o16 retf 2
bits 32

conforming_routine:
        xor eax, eax
        mov ax, cs
        mov [ss:V_CONF_CS], eax
        retf

test_main:
        ; ---- IRET to ring 3 and INT back ----
        mov eax, ring3_basic
        mov ebx, 0x2
        call enter_ring3
        CHECK_EQ dword [V_CPL], 3, "IRET to ring 3: CPL is 3"
        CHECK_EQ dword [V_SS], SEL_UDATA, "IRET to ring 3 loads SS from the frame"
        CHECK_EQ dword [V_ESP], USTACK_TOP, "IRET to ring 3 loads ESP from the frame"
        CHECK_EQ dword [ret3_cs], SEL_UCODE, "INT from ring 3 pushes the ring-3 CS"
        CHECK_EQ dword [ret3_ss], SEL_UDATA, "INT from ring 3 pushes the ring-3 SS"
        CHECK_EQ dword [ret3_esp], USTACK_TOP, "INT from ring 3 pushes the ring-3 ESP"
        CHECK_EQ dword [ret3_handler_esp], RING0_STACK_TOP - 20, "INT from ring 3 switches to TSS ESP0 and pushes 5 dwords"
        CHECK_EQ dword [ret3_eip], ring3_basic.int_done, "INT from ring 3 pushes the next EIP"

        ; ---- an interrupt from ring 3 that returns to ring 3 ----
        SET_GATE 0x44, SEL_KCODE, exception_stubs + 0x44 * 16, 0xEF   ; trap gate, DPL 3
        mov dword [fault_vector], NONE
        mov eax, ring3_int44
        mov ebx, 0x2
        call enter_ring3
        CHECK_EQ dword [fault_vector], 0x44, "INT to a DPL 3 gate from ring 3 works"
        CHECK_EQ dword [handler_ss], SEL_KDATA, "the handler runs on SS0"
        CHECK_EQ dword [handler_esp], RING0_STACK_TOP - 20, "the handler runs on ESP0 minus the frame"
        CHECK_EQ dword [fault_ss], SEL_UDATA, "the frame holds the ring-3 SS"
        CHECK_EQ dword [fault_esp], USTACK_TOP - 4, "the frame holds the ring-3 ESP"
        CHECK_EQ dword [V_ESP], USTACK_TOP - 4, "IRET back to ring 3 restores ESP"
        CHECK_EQ dword [V_SS], SEL_UDATA, "IRET back to ring 3 restores SS"

        ; ---- privileged and IOPL-sensitive instructions in ring 3 (IOPL 0) ----
%macro RING3_FAULT 3   ; "name", error, ring-3 label
        ARM_FAULT %3.resume
        mov eax, %3
        mov ebx, 0x2
        call enter_ring3
        CHECK_FAULT %1, 13, %2
%endmacro
        RING3_FAULT "CLI in ring 3 with IOPL 0 is #GP(0)", 0, r3_cli
        CHECK_EQ dword [fault_cs], SEL_UCODE, "the #GP frame holds the ring-3 CS"
        CHECK_EQ dword [fault_eip], r3_cli, "the #GP frame holds the CLI"
        CHECK_EQ dword [fault_ss], SEL_UDATA, "the #GP frame holds the ring-3 SS"
        RING3_FAULT "STI in ring 3 with IOPL 0 is #GP(0)", 0, r3_sti
        RING3_FAULT "IN in ring 3 with IOPL 0 is #GP(0)", 0, r3_in
        RING3_FAULT "OUT in ring 3 with IOPL 0 is #GP(0)", 0, r3_out
        RING3_FAULT "HLT in ring 3 is #GP(0)", 0, r3_hlt
        RING3_FAULT "MOV CR0 in ring 3 is #GP(0)", 0, r3_movcr0
        RING3_FAULT "LGDT in ring 3 is #GP(0)", 0, r3_lgdt
        RING3_FAULT "MOV DS, ring-0 data in ring 3 is #GP(sel)", SEL_KDATA, r3_loadds
        RING3_FAULT "MOV SS, ring-0 data in ring 3 is #GP(sel)", SEL_KDATA, r3_loadss
        RING3_FAULT "call gate with DPL 0 from ring 3 is #GP(gate)", SEL_GATE0, r3_gate0
        RING3_FAULT "far CALL to ring-0 code from ring 3 is #GP(sel)", SEL_KCODE, r3_callk
        RING3_FAULT "JMP through a call gate to ring 0 is #GP(code sel)", SEL_KCODE, r3_jmpgate
        RING3_FAULT "IRET from ring 3 to ring 0 is #GP(sel)", SEL_KCODE, r3_iret0
        RING3_FAULT "RETF from ring 3 to ring 0 is #GP(sel)", SEL_KCODE, r3_retf0

        ; POPF in ring 3, IOPL 0: IF and IOPL silently keep their values
        mov eax, r3_popf
        mov ebx, 0x2
        call enter_ring3
        mov eax, [V_FLAGS]
        and eax, 0x3200
        CHECK_EQ eax, 0, "POPF in ring 3 with IOPL 0 changes neither IF nor IOPL"
        ; with IOPL 3, CLI, STI, IN and OUT work in ring 3
        mov dword [fault_vector], NONE
        mov eax, r3_iopl3
        mov ebx, 0x3002
        call enter_ring3
        CHECK_EQ dword [fault_vector], NONE, "CLI, STI, IN work in ring 3 with IOPL 3"
        CHECK_EQ dword [V_FLAGS], 0xE9, "IN from the debug console in ring 3 reads 0xE9"

        ; ---- data segments on a return to ring 3 ----
        mov ax, SEL_KDATA
        mov es, ax
        mov ds, ax
        mov ax, SEL_UDATA
        mov fs, ax
        mov ax, SEL_CONF0
        mov gs, ax
        call segs_iret
        CHECK_EQ dword [V_ES], 0, "IRET to ring 3 nulls ES holding ring-0 data"
        CHECK_EQ dword [V_DS], 0, "IRET to ring 3 nulls DS holding ring-0 data"
        CHECK_EQ dword [V_FS], SEL_UDATA, "IRET to ring 3 keeps FS holding ring-3 data"
        CHECK_EQ dword [V_GS], SEL_CONF0, "IRET to ring 3 keeps GS holding conforming code"

        ; ---- call gates ----
        mov eax, r3_callgate
        mov ebx, 0x2
        call enter_ring3
        CHECK_EQ dword [G_CS], SEL_UCODE, "call gate pushes the caller's CS"
        CHECK_EQ dword [G_EIP], r3_callgate.after, "call gate pushes the return EIP"
        CHECK_EQ dword [G_P0], 0x2222, "call gate copies the parameters (first)"
        CHECK_EQ dword [G_P1], 0x1111, "call gate copies the parameters (second)"
        CHECK_EQ dword [G_OLDESP], USTACK_TOP - 8, "call gate pushes the caller's ESP"
        CHECK_EQ dword [G_OLDSS], SEL_UDATA, "call gate pushes the caller's SS"
        CHECK_EQ dword [G_SS], SEL_KDATA, "call gate switches to SS0"
        CHECK_EQ dword [G_ESP], RING0_STACK_TOP - 24, "call gate switches to ESP0"
        CHECK_EQ dword [V_ESP], USTACK_TOP, "RETF 8 to ring 3 releases the parameters"
        CHECK_EQ dword [V_CPL], 3, "RETF to ring 3: CPL is 3"
        CHECK_EQ dword [V_ES], 0, "RETF to ring 3 nulls ES holding ring-0 data"
        CHECK_EQ dword [V_SS], SEL_UDATA, "RETF to ring 3 restores SS"

        mov eax, r3_callgate16
        mov ebx, 0x2
        call enter_ring3
        CHECK_EQ dword [G_CS], SEL_UCODE, "16-bit call gate pushes CS"
        CHECK_EQ dword [G_EIP], r3_callgate16.after, "16-bit call gate pushes IP"
        CHECK_EQ dword [G_P0], 0x3333, "16-bit call gate copies a word parameter"
        CHECK_EQ dword [G_OLDESP], (USTACK_TOP - 2) & 0xFFFF, "16-bit call gate pushes SP"
        CHECK_EQ dword [G_OLDSS], SEL_UDATA, "16-bit call gate pushes SS"
        CHECK_EQ dword [G_ESP], RING0_STACK_TOP - 10, "16-bit call gate frame is 5 words"
        CHECK_EQ dword [V_CPL], 3, "16-bit RETF 2 returns to ring 3"

        ; a call gate at the same level: no stack switch
        mov ebp, esp
        call SEL_GATE0:0
        CHECK_EQ dword [G_SS], SEL_KDATA, "same-level call gate keeps SS"
        lea eax, [ebp - 8]
        CHECK_EQ dword [G_ESP], eax, "same-level call gate pushes CS:EIP only"
        ; ...and its RETF 8 released 8 bytes
        lea eax, [ebp + 8]
        mov ebx, esp
        mov esp, ebp
        CHECK_EQ ebx, eax, "same-level RETF 8 releases 8 bytes"
        mov ax, SEL_KDATA
        mov es, ax
        EXPECT_FAULT "call gate with RPL 3 above its DPL 0 is #GP(gate)", 13, SEL_GATE0, call far [cs:gate0_rpl3_pointer]

        ; ---- conforming code keeps CPL ----
        mov eax, r3_conforming
        mov ebx, 0x2
        call enter_ring3
        CHECK_EQ dword [V_CONF_CS], SEL_CONF0 | 3, "a call to conforming code keeps CPL 3"
        CHECK_EQ dword [V_CPL], 3, "RETF from conforming code stays in ring 3"
        jmp finish

; enter_ring3 without its segment loads: IRET to r3_segs with DS, ES, FS, GS as they are.
segs_iret:
        mov [ring0_esp], esp
        push dword SEL_UDATA
        push dword USTACK_TOP
        push dword 0x2
        push dword SEL_UCODE
        push dword r3_segs
        iretd

gate0_rpl3_pointer:
        dd 0
        dw SEL_GATE0 | 3

; ---- ring-3 code (SEL_UCODE) ----------------------------------------------------------------
%macro NOTE_STATE 0     ; stores CPL, SS, ESP and the data selectors through SS
        mov [ss:V_ESP], esp
        xor eax, eax
        mov ax, cs
        and eax, 3
        mov [ss:V_CPL], eax
        mov ax, ss
        mov [ss:V_SS], eax
        mov ax, es
        mov [ss:V_ES], eax
        mov ax, ds
        mov [ss:V_DS], eax
        mov ax, fs
        mov [ss:V_FS], eax
        mov ax, gs
        mov [ss:V_GS], eax
%endmacro

ring3_basic:
        NOTE_STATE
        int RING0_RETURN_VECTOR
.int_done:

ring3_int44:
        push eax
        int 0x44
        NOTE_STATE
        int RING0_RETURN_VECTOR

%macro RING3_CASE 2+    ; label, instruction
%1:     %2
.resume:
        int RING0_RETURN_VECTOR
%endmacro
        RING3_CASE r3_cli, cli
        RING3_CASE r3_sti, sti
        RING3_CASE r3_in, in al, 0x80
        RING3_CASE r3_out, out 0x80, al
        RING3_CASE r3_hlt, hlt
        RING3_CASE r3_movcr0, mov cr0, eax
        RING3_CASE r3_lgdt, lgdt [gdt_pointer]
r3_loadds:
        mov ax, SEL_KDATA
        mov ds, ax
.resume:
        int RING0_RETURN_VECTOR
r3_loadss:
        mov ax, SEL_KDATA
        mov ss, ax
.resume:
        int RING0_RETURN_VECTOR
        RING3_CASE r3_gate0, call SEL_GATE0:0
        RING3_CASE r3_callk, call SEL_KCODE:gate_handler
        RING3_CASE r3_jmpgate, jmp SEL_GATE3:0
r3_iret0:
        pushfd
        push dword SEL_KCODE
        push dword gate_handler
        iretd
.resume:
        int RING0_RETURN_VECTOR
r3_retf0:
        push dword SEL_KCODE
        push dword gate_handler
        retf
.resume:
        int RING0_RETURN_VECTOR

r3_popf:
        push dword 0x3202               ; IF and IOPL 3
        popfd
        pushfd
        pop dword [V_FLAGS]
        int RING0_RETURN_VECTOR

r3_iopl3:
        cli
        sti
        cli
        in al, DEBUGCON
        movzx eax, al
        mov [V_FLAGS], eax
        int RING0_RETURN_VECTOR

r3_segs:
        NOTE_STATE
        int RING0_RETURN_VECTOR         ; ring0_return_handler reloads the segments

r3_callgate:
        push dword 0x1111
        push dword 0x2222
        call SEL_GATE3:0
.after:
        NOTE_STATE
        int RING0_RETURN_VECTOR

r3_callgate16:
        push word 0x3333
        db 0x66, 0x9A                   ; CALL ptr16:16 through the 16-bit gate
        dw 0, SEL_GATE16
.after:
        NOTE_STATE
        int RING0_RETURN_VECTOR

r3_conforming:
        call SEL_CONF0:conforming_routine
        NOTE_STATE
        int RING0_RETURN_VECTOR

        ROM_END
