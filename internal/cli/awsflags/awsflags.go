// Package awsflags validates the AWS flags that several commands share
// (--region, --endpoint-url), with one wording and one exit code (2), before
// any call is made. It may import adapt/awslive and internal/cli/exit.
package awsflags

import (
	"net/url"

	"github.com/cmkguard/cmkguard/adapt/awslive"
	"github.com/cmkguard/cmkguard/internal/cli/exit"
)

// Regions checks --region values as audit does: region names of one partition.
func Regions(regions []string) error {
	if _, err := awslive.CheckRegions(regions); err != nil {
		return exit.Usagef("--region %v", err)
	}
	return nil
}

// Endpoint checks --endpoint-url as audit does: an http:// or https:// URL with a host.
func Endpoint(endpoint string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return exit.Usagef("--endpoint-url %q: want an http:// or https:// URL", endpoint)
	}
	return nil
}
