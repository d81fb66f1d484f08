//go:build !linux

package lambdalocal

import "syscall"

// procAttr is nil where the emulator does not run (Start refuses first).
func procAttr() *syscall.SysProcAttr { return nil }
