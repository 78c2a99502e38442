package iac

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cmkguard/cmkguard/adapt/cloudformation"
	"github.com/cmkguard/cmkguard/adapt/terraform"
	"github.com/cmkguard/cmkguard/adapt/tfplan"
)

// maxReadSize bounds a plan or template read whole (Terraform files are
// bounded by their adapter).
const maxReadSize = terraform.MaxFileSize

// sniffSize is how much of a file is read to tell its kind.
const sniffSize = 64 << 10

// source is a plan or template, read whole.
type source struct {
	path string
	data []byte
}

// inventory is what the walk found, by kind.
type inventory struct {
	terraformDirs []string // directories holding .tf or .tf.json files
	plans         []source
	templates     []source
	problems      []error
	// ignored are files given by name that are of no kind cmkguard reads.
	ignored []string
}

// empty reports whether nothing to check was found.
func (inv *inventory) empty() bool {
	return len(inv.terraformDirs) == 0 && len(inv.plans) == 0 && len(inv.templates) == 0
}

// candidateExts are the extensions whose content is looked at for a plan or
// a CloudFormation template (.template files are YAML in some repositories
// and JSON in others).
var candidateExts = []string{".json", ".yaml", ".yml", ".template"}

// walk finds the files of paths: directories are walked recursively,
// skipping .git and .terraform (modules downloaded by terraform init are
// reached through their manifest instead); symbolic links to directories
// are not followed (as git does not), and one that cannot be resolved is a
// problem, not a hang.
func walk(paths []string, rel func(string) string) *inventory {
	inv := &inventory{}
	dirs := map[string]bool{}
	addFile := func(path string) {
		name := filepath.Base(path)
		switch {
		case terraform.IsConfigFile(name) || strings.HasSuffix(name, ".tfvars") || strings.HasSuffix(name, ".tfvars.json"):
			// A Terraform file stands for its module, its directory; tfvars
			// are read by the adapter with their root module.
			d := filepath.Dir(path)
			if !dirs[d] {
				dirs[d] = true
				inv.terraformDirs = append(inv.terraformDirs, d)
			}
			return
		}
		if !slices.Contains(candidateExts, strings.ToLower(filepath.Ext(name))) {
			return
		}
		data, err := readCandidate(path)
		if err != nil {
			inv.problems = append(inv.problems, fmt.Errorf("%s: %w", rel(path), err))
			return
		}
		switch {
		case data == nil:
		case tfplan.Detect(data):
			inv.plans = append(inv.plans, source{path: path, data: data})
		case cloudformation.Detect(data):
			inv.templates = append(inv.templates, source{path: path, data: data})
		}
	}
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			inv.problems = append(inv.problems, fmt.Errorf("%s: %w", rel(p), err))
			continue
		}
		if !info.IsDir() {
			before := len(inv.terraformDirs) + len(inv.plans) + len(inv.templates) + len(inv.problems)
			addFile(p)
			if len(inv.terraformDirs)+len(inv.plans)+len(inv.templates)+len(inv.problems) == before {
				inv.ignored = append(inv.ignored, rel(p))
			}
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				inv.problems = append(inv.problems, fmt.Errorf("%s: %w", rel(path), err))
				if d != nil && d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				if path != p && (d.Name() == ".git" || d.Name() == ".terraform") {
					return fs.SkipDir
				}
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				target, err := os.Stat(path)
				if err != nil {
					if terraform.IsConfigFile(d.Name()) {
						addFile(path) // its module's loader reports it, with the module
						return nil
					}
					inv.problems = append(inv.problems, fmt.Errorf("%s: %w", rel(path), symlinkError(err)))
					return nil
				}
				if target.IsDir() {
					return nil
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			addFile(path)
			return nil
		})
		if err != nil {
			inv.problems = append(inv.problems, err)
		}
	}
	return inv
}

func symlinkError(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return errors.New("a symbolic link to nothing")
	}
	if strings.Contains(err.Error(), "too many levels of symbolic links") {
		return errors.New("a symbolic link loop")
	}
	return err
}

// readCandidate reads a file that may be a plan or a template. A file
// larger than maxReadSize is a problem when its start looks like one (it
// would otherwise be silently unchecked), and is skipped otherwise (nil).
func readCandidate(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Size() <= maxReadSize {
		return os.ReadFile(path)
	}
	head, err := readHead(path)
	if err != nil {
		return nil, err
	}
	for _, marker := range []string{"AWSTemplateFormatVersion", "AWS::", `"format_version"`, "Resources"} {
		if bytes.Contains(head, []byte(marker)) {
			return nil, fmt.Errorf("%d bytes, more than the %d MiB cmkguard reads from one file; it was not checked", info.Size(), maxReadSize>>20)
		}
	}
	return nil, nil
}

// readHead reads the start of a file.
func readHead(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, sniffSize)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:n], nil
}
