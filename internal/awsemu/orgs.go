package awsemu

import (
	"strconv"
)

func (c *call) orgOrNotInUse() (*EstateOrganization, *apiError) {
	org := c.w.org
	if org == nil || !c.w.knownAccount(c.caller.Account) {
		return nil, badRequest("AWSOrganizationsNotInUseException", "Your account is not a member of an organization.")
	}
	return org, nil
}

func orgAccountARN(org *EstateOrganization, id string) string {
	return "arn:aws:organizations::" + org.ManagementAccount + ":account/" + org.ID + "/" + id
}

func (c *call) orgDescribeOrganization() (any, *apiError) {
	if aerr := c.decode(&struct{}{}); aerr != nil {
		return nil, aerr
	}
	org, aerr := c.orgOrNotInUse()
	if aerr != nil {
		return nil, aerr
	}
	email := ""
	for _, a := range c.w.accounts {
		if a.ID == org.ManagementAccount {
			email = a.Email
		}
	}
	return map[string]any{"Organization": map[string]any{
		"Id": org.ID, "Arn": "arn:aws:organizations::" + org.ManagementAccount + ":organization/" + org.ID,
		"FeatureSet": "ALL", "MasterAccountArn": orgAccountARN(org, org.ManagementAccount),
		"MasterAccountId": org.ManagementAccount, "MasterAccountEmail": email, "AvailablePolicyTypes": []any{},
	}}, nil
}

func (c *call) orgListAccounts() (any, *apiError) {
	var in struct {
		MaxResults *int32 `json:"MaxResults"`
		NextToken  string `json:"NextToken"`
	}
	if aerr := c.decode(&in); aerr != nil {
		return nil, aerr
	}
	org, aerr := c.orgOrNotInUse()
	if aerr != nil {
		return nil, aerr
	}
	if c.caller.Account != org.ManagementAccount && !contains(org.DelegatedAdmins, c.caller.Account) {
		return nil, badRequest("AccessDeniedException", "You don't have permissions to access this resource.")
	}
	max := 20
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 20 {
			return nil, badRequest("InvalidInputException", "You specified an invalid value for MaxResults: it must be between 1 and 20.")
		}
		max = int(*in.MaxResults)
	}
	start := 0
	if in.NextToken != "" {
		raw, err := decodeMarkerString(in.NextToken)
		n, err2 := strconv.Atoi(raw)
		if err != nil || err2 != nil || n < 0 || n > len(c.w.accounts) {
			return nil, badRequest("InvalidInputException", "You specified an invalid value for nextToken.")
		}
		start = n
	}
	accounts := []map[string]any{}
	next := ""
	for i := start; i < len(c.w.accounts); i++ {
		if len(accounts) == max {
			next = encodeMarkerString(strconv.Itoa(i))
			break
		}
		a := c.w.accounts[i]
		status := a.Status
		if status == "" {
			status = "ACTIVE"
		}
		joined := "INVITED"
		if a.ID != org.ManagementAccount {
			joined = "CREATED"
		}
		accounts = append(accounts, map[string]any{
			"Id": a.ID, "Arn": orgAccountARN(org, a.ID), "Email": a.Email, "Name": a.Name,
			"Status": status, "State": status, "JoinedMethod": joined, "JoinedTimestamp": epoch(c.w.created),
		})
	}
	out := map[string]any{"Accounts": accounts}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}
