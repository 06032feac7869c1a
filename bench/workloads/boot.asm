; A workload as a boot sector for Bochs and QEMU (see frame.inc).
; nasm -f bin -DWORKLOAD='"reg_loop.inc"' -DITERATIONS=n boot.asm -o reg_loop.boot
%include "frame.inc"
%if ($ - $$) > 510
  %error "the boot sector is over 510 bytes"
%endif
        times 510 - ($ - $$) db 0
        dw 0xAA55
