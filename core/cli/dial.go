package cli

import (
	"cmp"

	"github.com/xroam/xroam/core/dial"
)

// dialOptions are the client's transport options (TLS checks, the ssh
// command) from the configuration.
func dialOptions(inv *Invocation) dial.Options {
	cfg := &inv.Config.Config
	return dial.Options{
		SSLCACerts:          cfg.SSLCACerts,
		SSLCAData:           cfg.SSLCAData,
		SSLServerVerifyMode: cfg.SSLServerVerifyMode,
		SSLSkipHostname:     !cfg.SSLCheckHostname,
		SSLServerHostname:   cfg.SSLServerHostname,
		SSLProtocol:         cfg.SSLProtocol,
		SSH:                 cfg.SSH,
		KeepSSH:             !cfg.ExitSSH,
		RemoteXroam:         cfg.RemoteXroam,
		// A client has one connection: either option asks for it, as
		// in xpra.
		Encryption:        cmp.Or(cfg.Encryption, cfg.TCPEncryption),
		EncryptionKeyfile: cmp.Or(cfg.EncryptionKeyfile, cfg.TCPEncryptionKeyfile),
	}
}
