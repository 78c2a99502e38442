package analyse

import (
	"strings"
	"testing"
)

// FuzzAnalyse feeds arbitrary documents to the parser and both checks: no
// panic, and every result is a verdict with a reason; an UNKNOWN or FAIL
// names its statements.
func FuzzAnalyse(f *testing.F) {
	f.Add(policy(rootStmt))
	f.Add(awsDMSDefault)
	f.Add(policy(star("S", `["kms:*"]`, `{"ForAnyValue:StringLikeIfExists":{"aws:PrincipalOrgPaths":"o-x/*"}}`)))
	f.Add(`{"Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["1"]},"NotAction":"kms:?*","NotResource":"*","Condition":{"Null":{"aws:SourceArn":true}}}}`)
	f.Add(`{"Statement":[{"Effect":"Allow","Principal":{"Service":["*"]},"Action":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:*:*:*:*"},"NumericLessThan":{"kms:X":3}}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		a, err := Analyse(Input{Policy: doc, KeyAccount: acct, Region: region, DMSAccounts: []string{acct, ext}})
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatal("empty error")
			}
			return
		}
		for _, r := range append([]Result{a.World}, a.DMS...) {
			switch r.Verdict {
			case Pass, Fail, Unknown:
			default:
				t.Fatalf("%s: verdict %q", r.Check, r.Verdict)
			}
			if r.Reason == "" {
				t.Fatalf("%s: no reason", r.Check)
			}
			if r.Check == CheckWorldAccess && r.Verdict != Pass && len(r.Statements) == 0 {
				t.Fatalf("world access %s names no statement", r.Verdict)
			}
		}
	})
}
