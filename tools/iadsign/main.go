// Command iadsign makes and uses the Ed25519 keys that sign OpenIAD
// firmware images, in minisign's formats (Debian's minisign reads and
// writes the same keys and signatures).
//
//	iadsign keygen [-dir out/keys] [-name openiad] [-force]
//	    writes <dir>/<name>.key (unencrypted secret key, mode 0600) and
//	    <dir>/<name>.pub, unless they exist
//	iadsign sign -key out/keys/openiad.key [-password-env VAR] FILE...
//	    writes FILE.minisig for each FILE (prehashed Ed25519)
//	iadsign verify -pub out/keys/openiad.pub FILE [SIG]
//	    checks FILE against SIG (default FILE.minisig)
//	iadsign check -pub out/keys/openiad.pub IMAGE.img
//	    checks a firmware image: signature, manifest and every part
//
// Development keys are made by `make keys` into out/keys and never
// committed.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"aead.dev/minisign"

	"github.com/openiad/openiad/firmware/update/image"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "iadsign:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage: iadsign keygen|sign|verify|check (see go doc ./tools/iadsign)")

func run(_ context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	fs := flag.NewFlagSet("iadsign "+args[0], flag.ContinueOnError)
	switch args[0] {
	case "keygen":
		dir := fs.String("dir", "out/keys", "directory of the key files")
		name := fs.String("name", "openiad", "base name of the key files")
		force := fs.Bool("force", false, "replace existing keys")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		return keygen(out, *dir, *name, *force)
	case "sign":
		key := fs.String("key", "out/keys/openiad.key", "secret key file")
		pwEnv := fs.String("password-env", "", "environment variable holding the key's password (encrypted keys)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		pw := ""
		if *pwEnv != "" {
			pw = os.Getenv(*pwEnv)
		}
		k, err := image.LoadPrivateKey(*key, pw)
		if err != nil {
			return err
		}
		if fs.NArg() == 0 {
			return errUsage
		}
		for _, f := range fs.Args() {
			b, err := os.ReadFile(f)
			if err != nil {
				return err
			}
			comment := fmt.Sprintf("timestamp:%d\tfile:%s\thashed", time.Now().Unix(), filepath.Base(f))
			sig, err := image.KeySigner(k, comment)(b)
			if err != nil {
				return err
			}
			if err := os.WriteFile(f+".minisig", sig, 0o644); err != nil {
				return err
			}
		}
		return nil
	case "verify", "check":
		pub := fs.String("pub", "out/keys/openiad.pub", "public key file (one or more keys)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		keys, err := image.LoadPublicKeys(*pub)
		if err != nil {
			return err
		}
		if fs.NArg() < 1 || fs.NArg() > 2 {
			return errUsage
		}
		f := fs.Arg(0)
		if args[0] == "check" {
			r, err := os.Open(f)
			if err != nil {
				return err
			}
			defer r.Close()
			m, err := image.Check(r, keys)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: board %s, version %s, built %s, %d parts, %d bytes: OK\n",
				f, m.Board, m.Version, m.Built.Format(time.RFC3339), len(m.Parts), m.Size())
			return nil
		}
		sigPath := f + ".minisig"
		if fs.NArg() == 2 {
			sigPath = fs.Arg(1)
		}
		msg, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		sig, err := os.ReadFile(sigPath)
		if err != nil {
			return err
		}
		if err := image.Verify(keys, msg, sig); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s: signature OK\n", f)
		return nil
	}
	return errUsage
}

func keygen(out io.Writer, dir, name string, force bool) error {
	keyPath := filepath.Join(dir, name+".key")
	pubPath := filepath.Join(dir, name+".pub")
	if !force {
		_, e1 := os.Stat(keyPath)
		_, e2 := os.Stat(pubPath)
		if e1 == nil && e2 == nil {
			fmt.Fprintf(out, "iadsign: %s exists; keeping it\n", keyPath)
			return nil
		}
		if e1 == nil || e2 == nil {
			return fmt.Errorf("only one of %s and %s exists; remove it or use -force", keyPath, pubPath)
		}
	}
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	privText, err := priv.MarshalText()
	if err != nil {
		return err
	}
	pubText, err := pub.MarshalText()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := writeFile(keyPath, append(privText, '\n'), 0o600); err != nil {
		return err
	}
	if err := writeFile(pubPath, append(pubText, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "iadsign: wrote %s and %s (key %X)\n", keyPath, pubPath, pub.ID())
	return nil
}

// writeFile writes b to path through a temporary file, fsync and rename.
func writeFile(path string, b []byte, perm os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
