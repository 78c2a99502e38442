package keyref

import "testing"

func TestAWSManagedKeyNameNamesTheServiceOfTheAlias(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ alias, want string }{
		{"alias/aws/dms", "the AWS-managed DMS key aws/dms"},
		{"alias/aws/s3", "the AWS-managed S3 key aws/s3"},
		{"arn:aws:kms:eu-west-1:111122223333:alias/aws/s3", "the AWS-managed S3 key aws/s3"},
		{"alias/aws/newservice", "the AWS-managed key aws/newservice"},
		{"alias/aws/", ""},
		{"alias/orders", ""},
		{"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", ""},
	} {
		if got := AWSManagedKeyName(tc.alias); got != tc.want {
			t.Errorf("AWSManagedKeyName(%q) = %q, want %q", tc.alias, got, tc.want)
		}
	}
}

func TestRefAWSManagedKeyNameOnlyForReservedAliases(t *testing.T) {
	t.Parallel()
	if got := Parse("alias/aws/s3", "111122223333", "eu-west-1").AWSManagedKeyName(); got != "the AWS-managed S3 key aws/s3" {
		t.Errorf("alias/aws/s3: %q", got)
	}
	if got := Parse("alias/aws-s3", "111122223333", "eu-west-1").AWSManagedKeyName(); got != "" {
		t.Errorf("alias/aws-s3 is a customer alias, got %q", got)
	}
}
