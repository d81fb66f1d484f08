package lambdalocal

import "syscall"

// procAttr makes the emulator get SIGTERM, and so stop the function, when
// the process that started it dies, even by SIGKILL: a killed test or
// `make invoke` leaves nothing listening behind.
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
