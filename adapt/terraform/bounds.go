package terraform

import (
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
)

// Bounds on what one configuration may make cmkguard compute. Terraform
// itself has none but the machine's memory; a scan in CI must end.
const (
	// maxForNesting is how deeply for expressions may nest in one
	// expression: with range() capped at 1,024, two levels make at most a
	// million elements, three a billion.
	maxForNesting = 2
	// maxValueElements bounds the elements of a local, output or variable
	// value, so that chaining locals cannot multiply sizes without end.
	maxValueElements = 200000
)

// forNesting returns how deeply for expressions nest in expr.
func forNesting(expr hcl.Expression) int {
	node, ok := expr.(hclsyntax.Node)
	if !ok {
		return 0
	}
	w := &forWalker{}
	_ = hclsyntax.Walk(node, w)
	return w.max
}

type forWalker struct{ depth, max int }

func (w *forWalker) Enter(n hclsyntax.Node) hcl.Diagnostics {
	if _, ok := n.(*hclsyntax.ForExpr); ok {
		w.depth++
		w.max = max(w.max, w.depth)
	}
	return nil
}

func (w *forWalker) Exit(n hclsyntax.Node) hcl.Diagnostics {
	if _, ok := n.(*hclsyntax.ForExpr); ok {
		w.depth--
	}
	return nil
}

// tooLarge reports whether v holds more than maxValueElements elements,
// counting nested collections, and stops counting as soon as it knows.
func tooLarge(v cty.Value) bool {
	n := 0
	var count func(v cty.Value) bool
	count = func(v cty.Value) bool {
		v, _ = v.Unmark()
		if !v.IsKnown() || v.IsNull() || !v.CanIterateElements() {
			return false
		}
		n += v.LengthInt()
		if n > maxValueElements {
			return true
		}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			if count(e) {
				return true
			}
		}
		return false
	}
	return count(v)
}
