import { TableEncryptionV2 } from 'aws-cdk-lib/aws-dynamodb';

/**
 * One encryption choice for every table txonce makes: the AWS managed key (aws/dynamodb), whose
 * use shows in CloudTrail, at no key cost. Give your business tables the same.
 */
export const DEFAULT_TABLE_ENCRYPTION = TableEncryptionV2.awsManagedKey();
