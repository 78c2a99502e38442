package awsemu

// operation is one API operation the emulator serves.
type operation struct {
	mutating bool
	handle   func(*call) (any, *apiError)
}

func read(h func(*call) (any, *apiError)) operation  { return operation{handle: h} }
func write(h func(*call) (any, *apiError)) operation { return operation{mutating: true, handle: h} }

// operations maps service → operation name → handler.
var operations = map[string]map[string]operation{
	"dms": {
		"CreateReplicationInstance":             write((*call).dmsCreateReplicationInstance),
		"DescribeReplicationInstances":          read((*call).dmsDescribeReplicationInstances),
		"ModifyReplicationInstance":             write((*call).dmsModifyReplicationInstance),
		"DeleteReplicationInstance":             write((*call).dmsDeleteReplicationInstance),
		"CreateReplicationTask":                 write((*call).dmsCreateReplicationTask),
		"DescribeReplicationTasks":              read((*call).dmsDescribeReplicationTasks),
		"ModifyReplicationTask":                 write((*call).dmsModifyReplicationTask),
		"StartReplicationTask":                  write((*call).dmsStartReplicationTask),
		"StopReplicationTask":                   write((*call).dmsStopReplicationTask),
		"DeleteReplicationTask":                 write((*call).dmsDeleteReplicationTask),
		"MoveReplicationTask":                   write((*call).dmsMoveReplicationTask),
		"CreateEndpoint":                        write((*call).dmsCreateEndpoint),
		"DescribeEndpoints":                     read((*call).dmsDescribeEndpoints),
		"ModifyEndpoint":                        write((*call).dmsModifyEndpoint),
		"DeleteEndpoint":                        write((*call).dmsDeleteEndpoint),
		"CreateReplicationConfig":               write((*call).dmsCreateReplicationConfig),
		"DescribeReplicationConfigs":            read((*call).dmsDescribeReplicationConfigs),
		"ModifyReplicationConfig":               write((*call).dmsModifyReplicationConfig),
		"DeleteReplicationConfig":               write((*call).dmsDeleteReplicationConfig),
		"StartReplication":                      write((*call).dmsStartReplication),
		"StopReplication":                       write((*call).dmsStopReplication),
		"DescribeReplications":                  read((*call).dmsDescribeReplications),
		"CreateReplicationSubnetGroup":          write((*call).dmsCreateReplicationSubnetGroup),
		"DescribeReplicationSubnetGroups":       read((*call).dmsDescribeReplicationSubnetGroups),
		"ModifyReplicationSubnetGroup":          write((*call).dmsModifyReplicationSubnetGroup),
		"DeleteReplicationSubnetGroup":          write((*call).dmsDeleteReplicationSubnetGroup),
		"AddTagsToResource":                     write((*call).dmsAddTagsToResource),
		"RemoveTagsFromResource":                write((*call).dmsRemoveTagsFromResource),
		"ListTagsForResource":                   read((*call).dmsListTagsForResource),
		"CreateInstanceProfile":                 write((*call).dmsCreateInstanceProfile),
		"DescribeInstanceProfiles":              read((*call).dmsDescribeInstanceProfiles),
		"ImportCertificate":                     write((*call).dmsImportCertificate),
		"DescribeCertificates":                  read((*call).dmsDescribeCertificates),
		"StartReplicationTaskAssessmentRun":     write((*call).dmsStartReplicationTaskAssessmentRun),
		"DescribeReplicationTaskAssessmentRuns": read((*call).dmsDescribeReplicationTaskAssessmentRuns),
	},
	"kms": {
		"CreateKey":            write((*call).kmsCreateKey),
		"DescribeKey":          read((*call).kmsDescribeKey),
		"ListKeys":             read((*call).kmsListKeys),
		"ListAliases":          read((*call).kmsListAliases),
		"CreateAlias":          write((*call).kmsCreateAlias),
		"DeleteAlias":          write((*call).kmsDeleteAlias),
		"GetKeyPolicy":         read((*call).kmsGetKeyPolicy),
		"PutKeyPolicy":         write((*call).kmsPutKeyPolicy),
		"GetKeyRotationStatus": read((*call).kmsGetKeyRotationStatus),
		"EnableKeyRotation":    write((*call).kmsEnableKeyRotation),
		"DisableKeyRotation":   write((*call).kmsDisableKeyRotation),
		"EnableKey":            write((*call).kmsEnableKey),
		"DisableKey":           write((*call).kmsDisableKey),
		"ScheduleKeyDeletion":  write((*call).kmsScheduleKeyDeletion),
		"CancelKeyDeletion":    write((*call).kmsCancelKeyDeletion),
		"TagResource":          write((*call).kmsTagResource),
		"UntagResource":        write((*call).kmsUntagResource),
		"ListResourceTags":     read((*call).kmsListResourceTags),
	},
	"ec2": {
		"DescribeRegions": read((*call).ec2DescribeRegions),
	},
	"sts": {
		"GetCallerIdentity": read((*call).stsGetCallerIdentity),
		"AssumeRole":        read((*call).stsAssumeRole),
	},
	"organizations": {
		"DescribeOrganization": read((*call).orgDescribeOrganization),
		"ListAccounts":         read((*call).orgListAccounts),
	},
	"securityhub": {
		"BatchImportFindings": write((*call).securityhubBatchImportFindings),
	},
	"config": {
		"PutEvaluations":                   write((*call).configPutEvaluations),
		"GetComplianceDetailsByConfigRule": read((*call).configGetComplianceDetailsByConfigRule),
		"GetResourceConfigHistory":         read((*call).configGetResourceConfigHistory),
	},
}

func lookupOperation(service, op string) (operation, bool) {
	o, ok := operations[service][op]
	return o, ok
}

// Operations returns the "service:Operation" names the emulator serves.
func Operations() []string {
	var out []string
	for svc, ops := range operations {
		for op := range ops {
			out = append(out, svc+":"+op)
		}
	}
	sortStrings(out)
	return out
}
