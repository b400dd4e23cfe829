package webui

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every key has a text in every language, with the same verbs.
func TestCatalogComplete(t *testing.T) {
	verb := regexp.MustCompile(`%(\[\d\])?[a-zA-Z%]`)
	norm := func(s string) string {
		vs := verb.FindAllString(s, -1)
		for i, v := range vs {
			vs[i] = v[len(v)-1:]
		}
		sortStrings(vs)
		return strings.Join(vs, "")
	}
	for k, v := range catalog {
		for i, lang := range languages {
			if strings.TrimSpace(v[i]) == "" {
				t.Errorf("%s: no %s text", k, lang)
			}
		}
		if norm(v[0]) != norm(v[1]) {
			t.Errorf("%s: verbs differ: %q / %q", k, v[0], v[1])
		}
	}
	if got := translate("zh", "no.such.key"); got != MissingMarker+"no.such.key]]" {
		t.Errorf("missing key renders %q", got)
	}
	if got := translateValue("zh", "state.", "new-state"); got != "new-state" {
		t.Errorf("unknown value renders %q", got)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Every key used in the templates and the Go code is in the catalogue.
func TestKeysUsedExist(t *testing.T) {
	tmplKey := regexp.MustCompile(`\{\{-?\s*T\s+"([^"]+)"`)
	tmplKey2 := regexp.MustCompile(`\(T\s+"([^"]+)"`)
	goKey := regexp.MustCompile(`\.T\("([^"]+)"`)
	labelKey := regexp.MustCompile(`"(f\.[a-z]+)"`)
	used := map[string]bool{}
	err := fs.WalkDir(assets, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(assets, p)
		for _, re := range []*regexp.Regexp{tmplKey, tmplKey2} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = true
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range []*regexp.Regexp{goKey, labelKey} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				used[m[1]] = true
			}
		}
	}
	for _, p := range append(settingsPages, pageSetup) {
		used[p.title] = true
	}
	if len(used) < 150 {
		t.Errorf("only %d keys found: the scan is broken", len(used))
	}
	for k := range used {
		if _, ok := catalog[k]; !ok {
			t.Errorf("key %q is used but not in the catalogue", k)
		}
	}
}
