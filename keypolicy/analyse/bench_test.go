package analyse

import (
	"testing"

	"github.com/cmkguard/cmkguard/keypolicy"
)

// BenchmarkAnalyse measures one key's analysis (the audit will run it once
// per distinct customer key): the generated policy with every statement,
// and the aws/dms default-key policy.
func BenchmarkAnalyse(b *testing.B) {
	doc, err := keypolicy.Build(keypolicy.Options{Account: acct, Region: region,
		Admins: []string{"arn:aws:iam::111122223333:role/KeyAdmin"}, Users: []string{"arn:aws:iam::111122223333:role/dms"}, ExternalAccounts: []string{ext}})
	if err != nil {
		b.Fatal(err)
	}
	full, err := doc.JSON()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, policy string }{{"generated", string(full)}, {"aws-dms-default", awsDMSDefault}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Analyse(Input{Policy: bc.policy, KeyAccount: acct, Region: region}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
