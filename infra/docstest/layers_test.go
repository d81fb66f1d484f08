package docstest

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// technologies maps a third-party technology's import path to the only
// packages (folders from the root) whose non-test code may import it:
// DESIGN.md's rule that a package importing a technology is the only one
// that does, so that each is wrapped once, with its limits, in one place.
var technologies = map[string][]string{
	"github.com/jhillyerd/enmime":                    {"internal/mail"},
	"github.com/oschwald/geoip2-golang":              {"internal/geo"},
	"go.etcd.io/bbolt":                               {"internal/embedded"},
	"github.com/aws/aws-sdk-go-v2/service/dynamodb":  {"internal/dynamo", "internal/dynamo/dynamotest", "infra/invoke"},
	"github.com/aws/aws-sdk-go-v2/service/s3":        {"internal/objects", "internal/awsparam"},
	"github.com/aws/aws-sdk-go-v2/service/ssm":       {"internal/awsparam"},
	"github.com/standard-webhooks/standard-webhooks": {"internal/webhook"},
	"github.com/chromedp/chromedp":                   {},
}

// TestTechnologyImports holds every technology to its packages.
func TestTechnologyImports(t *testing.T) {
	t.Parallel()
	root := repoRoot(t)
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(p))
		rel = filepath.ToSlash(rel)
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for tech, allowed := range technologies {
				if (path == tech || strings.HasPrefix(path, tech+"/")) && !slices.Contains(allowed, rel) {
					t.Errorf("%s imports %s: only %v may", rel, path, allowed)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
