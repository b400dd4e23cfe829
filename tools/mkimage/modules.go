package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

var errModule = errors.New("mkimage: kernel module")

// module is one kernel module file and what it depends on.
type module struct {
	Name    string // "virtio_blk"
	Path    string
	Depends []string
}

// modName normalises a module name: the kernel treats - and _ alike.
func modName(s string) string {
	return strings.ReplaceAll(strings.TrimSuffix(filepath.Base(s), ".ko"), "-", "_")
}

// indexModules finds every .ko file under root (a kernel's
// lib/modules/<version>).
func indexModules(root string) (map[string]string, error) {
	idx := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".ko") {
			idx[modName(p)] = p
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".ko.xz") || strings.HasSuffix(p, ".ko.zst") || strings.HasSuffix(p, ".ko.gz")) {
			if _, ok := idx[modName(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(p, ".xz"), ".zst"), ".gz"))]; !ok {
				idx[modName(p[:strings.LastIndex(p, ".ko")+3])] = "compressed:" + p
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errModule, err)
	}
	if len(idx) == 0 {
		return nil, fmt.Errorf("%w: no .ko files under %s", errModule, root)
	}
	return idx, nil
}

// modinfoDepends reads the "depends=" field of a module's .modinfo section.
func modinfoDepends(path string) ([]string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errModule, path, err)
	}
	defer f.Close()
	s := f.Section(".modinfo")
	if s == nil {
		return nil, fmt.Errorf("%w: %s has no .modinfo", errModule, path)
	}
	data, err := s.Data()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errModule, path, err)
	}
	for _, kv := range bytes.Split(data, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			var deps []string
			for _, d := range strings.Split(string(v), ",") {
				if d != "" {
					deps = append(deps, modName(d))
				}
			}
			return deps, nil
		}
	}
	return nil, nil
}

// resolveModules returns the modules wanted and everything they depend on,
// dependencies first: the order PID 1 loads them in.
func resolveModules(root string, want []string) ([]module, error) {
	idx, err := indexModules(root)
	if err != nil {
		return nil, err
	}
	var out []module
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name, from string) error
	visit = func(name, from string) error {
		switch state[name] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("%w: dependency cycle through %s", errModule, name)
		}
		p, ok := idx[name]
		if !ok {
			if from != "" {
				return fmt.Errorf("%w: %s (needed by %s) is not in %s: built into the kernel?", errModule, name, from, root)
			}
			return fmt.Errorf("%w: %s is not in %s", errModule, name, root)
		}
		if strings.HasPrefix(p, "compressed:") {
			return fmt.Errorf("%w: %s is compressed (%s); the firmware loads plain .ko files", errModule, name, strings.TrimPrefix(p, "compressed:"))
		}
		state[name] = 1
		deps, err := modinfoDepends(p)
		if err != nil {
			return err
		}
		for _, d := range deps {
			if err := visit(d, name); err != nil {
				return err
			}
		}
		state[name] = 2
		out = append(out, module{Name: name, Path: p, Depends: deps})
		return nil
	}
	for _, w := range want {
		if err := visit(modName(w), ""); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readModules reads the module files.
func readModules(mods []module) ([]cpioEntry, string, error) {
	var entries []cpioEntry
	var order strings.Builder
	for _, m := range mods {
		b, err := os.ReadFile(m.Path)
		if err != nil {
			return nil, "", fmt.Errorf("%w: %w", errModule, err)
		}
		name := m.Name + ".ko"
		entries = append(entries, cpioEntry{Name: "lib/modules/" + name, Mode: modeFile | 0o644, Data: b})
		order.WriteString(name + "\n")
	}
	return entries, order.String(), nil
}
