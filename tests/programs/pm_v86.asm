; Virtual-8086 mode (Intel SDM vol. 3, chapter 20): IRETD from ring 0 with VM set in the
; EFLAGS image enters V86 mode and loads ES, DS, FS, GS, SS:ESP from the frame; code runs with
; real-mode addressing (base = selector * 16) at CPL 3; with IOPL < 3 the IOPL-sensitive
; instructions (INT n, CLI, STI, PUSHF, POPF, IRET) raise #GP(0) to the ring-0 monitor, which
; receives a frame with GS, FS, DS, ES, SS, ESP, EFLAGS (VM set), CS, EIP and the error code,
; on the TSS's ring-0 stack, with DS, ES, FS and GS nulled; with IOPL 3, INT n goes through a
; DPL-3 IDT gate to a ring-0 handler (not the IVT) and IRETD returns to V86 mode; protected-mode
; only instructions (LAR, SLDT) are #UD; HLT is #GP(0).
%include "pm.inc"

        PROGRAM "pm_v86"

        GDT_BEGIN
        GDT_END

V86_CS     equ 0xF000               ; the ROM, so labels are V86 offsets too
V86_DS     equ 0x3000               ; linear 0x30000 = SCRATCH
V86_SS     equ 0x2000
V86_SP     equ 0x1000               ; linear 0x21000

; What the monitor records (user_vars + ...).
M_ERROR    equ user_vars + 0
M_EIP      equ user_vars + 4
M_CS       equ user_vars + 8
M_EFLAGS   equ user_vars + 12
M_ESP      equ user_vars + 16
M_SS       equ user_vars + 20
M_ES       equ user_vars + 24
M_DS       equ user_vars + 28
M_FS       equ user_vars + 32
M_GS       equ user_vars + 36
M_VECTOR   equ user_vars + 40
M_HESP     equ user_vars + 44       ; the monitor's ESP at entry (pointing at the error code)
M_DSIN     equ user_vars + 48       ; DS and ES as the monitor found them
M_ESIN     equ user_vars + 52
I_EFLAGS   equ user_vars + 56       ; the V86 INT handler's frame EFLAGS
I_CS       equ user_vars + 60
I_EIP      equ user_vars + 64
I_COUNT    equ user_vars + 68

bits 32
; The monitor: #GP and #UD from V86 mode end the V86 run. Records the frame and returns to
; enter_v86's caller.
monitor_ud:
        push dword NONE
        push dword 6
        jmp monitor
monitor_gp:
        push dword 13
monitor:
        mov [ss:M_HESP], esp
        add dword [ss:M_HESP], 4
        push eax
        xor eax, eax
        mov ax, ds
        mov [ss:M_DSIN], eax
        mov ax, es
        mov [ss:M_ESIN], eax
        pop eax
        mov ax, SEL_KDATA
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov esi, esp
        mov edi, M_VECTOR
        mov eax, [esi]
        mov [edi], eax
        add esi, 4
        mov edi, M_ERROR
        mov ecx, 10
.copy:  mov eax, [esi]
        mov [edi], eax
        add esi, 4
        add edi, 4
        loop .copy
        mov esp, [ring0_esp]
        ret

; A ring-0 handler for INT 0x45 from V86 mode (DPL 3 gate): notes the frame, returns to V86.
v86_int_handler:
        mov eax, [esp + 8]
        mov [ss:I_EFLAGS], eax
        mov eax, [esp + 4]
        mov [ss:I_CS], eax
        mov eax, [esp]
        mov [ss:I_EIP], eax
        inc dword [ss:I_COUNT]
        iretd

; enter_v86: IRETD to V86 at V86_CS:AX with EFLAGS EBX | VM; returns when the monitor runs.
enter_v86:
        mov [ring0_esp], esp
        push dword 0                    ; GS
        push dword 0                    ; FS
        push dword V86_DS               ; DS
        push dword V86_DS               ; ES
        push dword V86_SS
        push dword V86_SP
        or ebx, 0x20000
        push ebx
        push dword V86_CS
        movzx eax, ax
        push eax
        iretd

%macro RUN_V86 2        ; label, EFLAGS
        mov eax, %1
        mov ebx, %2
        call enter_v86
%endmacro

test_main:
        SET_GATE 13, SEL_KCODE, monitor_gp, 0x8E
        SET_GATE 6, SEL_KCODE, monitor_ud, 0x8E
        SET_GATE 0x45, SEL_KCODE, v86_int_handler, 0xEE
        mov dword [SCRATCH + 0x100], 0
        mov dword [SCRATCH + 0x200], 0

        ; ---- enter, compute, leave through INT n with IOPL 0 ----
        RUN_V86 v86_basic, 0x0002
        CHECK_EQ dword [M_VECTOR], 13, "INT n in V86 with IOPL 0 is #GP"
        CHECK_EQ dword [M_ERROR], 0, "... with error code 0"
        CHECK_EQ dword [M_EIP], v86_basic.int_at, "the frame holds the INT's IP"
        CHECK_EQ dword [M_CS], V86_CS, "the frame holds the V86 CS"
        mov eax, [M_EFLAGS]
        and eax, 0x23000
        CHECK_EQ eax, 0x20000, "the frame's EFLAGS has VM set, IOPL 0"
        CHECK_EQ dword [M_ESP], V86_SP - 2, "the frame holds the V86 SP"
        CHECK_EQ dword [M_SS], V86_SS, "the frame holds the V86 SS"
        CHECK_EQ dword [M_ES], 0x3010, "the frame holds the V86 ES"
        CHECK_EQ dword [M_DS], V86_DS, "the frame holds the V86 DS"
        CHECK_EQ dword [M_FS], 0x1234, "the frame holds the V86 FS"
        CHECK_EQ dword [M_GS], 0, "the frame holds the V86 GS"
        CHECK_EQ dword [M_HESP], RING0_STACK_TOP - 40, "the monitor runs on ESP0 below a 10-dword frame"
        CHECK_EQ dword [M_DSIN], 0, "the monitor finds DS null"
        CHECK_EQ dword [M_ESIN], 0, "the monitor finds ES null"
        CHECK_EQ dword [SCRATCH + 0x100], 0x1234, "V86 writes DS*16 + offset"
        CHECK_EQ dword [SCRATCH + 0x200], 0x00001234, "V86 reads through ES = 0x3010"
        CHECK_EQ dword [SCRATCH + 0x204], 0x89ABCDEF, "V86 runs 32-bit operand-size code"
        CHECK_EQ dword [SCRATCH + 0x20C], 0x21000 - 2, "V86 pushes to SS*16 + SP"

        ; ---- IOPL-sensitive instructions with IOPL 0 ----
%macro V86_GP 2         ; "name", label
        RUN_V86 %2, 0x0002
        CHECK_EQ dword [M_VECTOR], 13, %1
        CHECK_EQ dword [M_EIP], %2, "... at the faulting instruction"
%endmacro
        V86_GP "CLI in V86 with IOPL 0 is #GP", v86_cli
        V86_GP "STI in V86 with IOPL 0 is #GP", v86_sti
        V86_GP "PUSHF in V86 with IOPL 0 is #GP", v86_pushf
        V86_GP "POPF in V86 with IOPL 0 is #GP", v86_popf
        V86_GP "IRET in V86 with IOPL 0 is #GP", v86_iret
        V86_GP "HLT in V86 is #GP", v86_hlt
        V86_GP "MOV CR0 in V86 is #GP", v86_movcr
        V86_GP "MOV DR7 in V86 is #GP", v86_movdr
        RUN_V86 v86_lar, 0x0002
        CHECK_EQ dword [M_VECTOR], 6, "LAR in V86 is #UD"
        RUN_V86 v86_sldt, 0x0002
        CHECK_EQ dword [M_VECTOR], 6, "SLDT in V86 is #UD"

        ; ---- IOPL 3 ----
        mov dword [I_COUNT], 0
        RUN_V86 v86_iopl3, 0x3002
        CHECK_EQ dword [I_COUNT], 1, "INT n in V86 with IOPL 3 goes through the IDT"
        mov eax, [I_EFLAGS]
        and eax, 0x20000
        CHECK_EQ eax, 0x20000, "the INT frame's EFLAGS has VM set"
        CHECK_EQ dword [I_CS], V86_CS, "the INT frame holds the V86 CS"
        CHECK_EQ dword [I_EIP], v86_iopl3.after_int, "the INT frame holds the next IP"
        CHECK_EQ dword [SCRATCH + 0x300], 0x3202, "IRETD returns to V86; CLI, STI, PUSHF, POPF work with IOPL 3"
        CHECK_EQ dword [SCRATCH + 0x304], 0x7777, "IRET within V86 mode with IOPL 3"
        CHECK_EQ dword [M_VECTOR], 13, "HLT ends the IOPL-3 run with #GP"
        CHECK_EQ dword [M_EIP], v86_iopl3.hlt_at, "... at the HLT"

        RUN_V86 v86_int_dpl0, 0x3002
        CHECK_EQ dword [M_VECTOR], 13, "INT n in V86 to a DPL 0 gate is #GP"
        CHECK_EQ dword [M_ERROR], 0x46 * 8 + 2, "... with error code vector*8+2"
        jmp finish

; ---- V86 code (CS = 0xF000, so labels are offsets) --------------------------------------------
bits 16
v86_basic:
        mov word [0x100], 0x1234        ; DS = 0x3000: linear 0x30100
        mov ax, 0x3010
        mov es, ax
        mov ax, [es:0]                  ; linear 0x30100
        mov [0x200], ax
        mov dword [0x204], 0x89ABCDEF
        push word 0x5555                ; SS*16 + SP - 2 = 0x20FFE
        xor eax, eax
        mov ax, sp
        add eax, V86_SS * 16
        mov [0x20C], eax
        mov ax, 0x1234
        mov fs, ax
.int_at:
        int 0x80

v86_cli:    cli
v86_sti:    sti
v86_pushf:  pushf
v86_popf:   popf
v86_iret:   iret
v86_hlt:    hlt
v86_movcr:  mov eax, cr0
v86_movdr:  mov eax, dr7
v86_lar:    lar ax, bx
v86_sldt:   sldt ax

v86_iopl3:
        int 0x45
.after_int:
        cli
        sti
        pushf
        pop ax
        and ax, 0x3200
        or ax, 0x0002
        push ax
        popf
        pushf
        pop ax
        mov [0x300], ax
        pushf
        push cs
        push word .after_iret
        iret
.after_iret:
        mov word [0x304], 0x7777
.hlt_at:
        hlt

v86_int_dpl0:
        int 0x46

        ROM_END
