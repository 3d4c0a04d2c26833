/**
 * The one map from CloudFormation resource types to what the local stack does with them.
 *
 * Every type of the template is either emulated (and then each of its properties is either
 * emulated or ignored with a reason), or deliberately ignored with a reason. A type or a
 * property that is in neither list stops the local stack with an UnsupportedResourceError,
 * so nothing the template asks for is ever ignored silently.
 */

/** A template the local stack cannot run as it is. */
export class TemplateError extends Error {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** A resource type, property or value the local stack does not emulate. */
export class UnsupportedResourceError extends TemplateError {
  constructor(readonly problems: { resource: string; type: string; property?: string; why: string }[]) {
    super(
      `The local stack cannot run this template as deployed:\n${problems
        .map(
          (problem) =>
            `- ${problem.resource} (${problem.type})${problem.property ? ` ${problem.property}` : ''}: ${problem.why}`,
        )
        .join('\n')}`,
    );
    this.name = 'UnsupportedResourceError';
  }
}

/** The property is emulated locally: the local resource follows it. */
const EMULATED = 'emulated';
type PropertyHandling = typeof EMULATED | { ignored: string };

export interface EmulatedType {
  /** what runs it locally */
  emulation: string;
  properties: Record<string, PropertyHandling>;
}

const ignored = (why: string) => ({ ignored: why });
const NOT_ENFORCED = ignored('not enforced locally');
const NO_ENCRYPTION = ignored('no encryption at rest locally; the data is the same');
const TAGS = ignored('tags change nothing at run time');

const TABLE_PROPERTIES: Record<string, PropertyHandling> = {
  TableName: EMULATED,
  KeySchema: EMULATED,
  AttributeDefinitions: EMULATED,
  GlobalSecondaryIndexes: EMULATED,
  LocalSecondaryIndexes: EMULATED,
  StreamSpecification: EMULATED,
  TimeToLiveSpecification: ignored(
    'TTL is enabled on the table, but DynamoDB Local never deletes expired items (and so never emits their REMOVE stream records)',
  ),
  BillingMode: ignored('DynamoDB Local has no capacity limits: no throttling either way'),
  ProvisionedThroughput: ignored('DynamoDB Local has no capacity limits: no throttling'),
  WriteProvisionedThroughputSettings: ignored('DynamoDB Local has no capacity limits: no throttling'),
  WriteOnDemandThroughputSettings: ignored('DynamoDB Local has no capacity limits: no throttling'),
  SSESpecification: NO_ENCRYPTION,
  PointInTimeRecoverySpecification: ignored('no backups locally'),
  DeletionProtectionEnabled: ignored('the local tables go with the local stack (or stay in TXONCE_DATA_DIR)'),
  Replicas: ignored(
    'one region locally: the table is created once; replica settings (PITR, deletion protection) as above',
  ),
  Tags: TAGS,
};

export const EMULATED_TYPES: Record<string, EmulatedType> = {
  'AWS::DynamoDB::GlobalTable': { emulation: 'a DynamoDB Local table', properties: TABLE_PROPERTIES },
  'AWS::DynamoDB::Table': { emulation: 'a DynamoDB Local table', properties: TABLE_PROPERTIES },
  'AWS::SQS::Queue': {
    emulation: 'a moto SQS queue with the same attributes (redrive to the DLQ after maxReceiveCount included)',
    properties: {
      QueueName: EMULATED,
      FifoQueue: EMULATED,
      ContentBasedDeduplication: EMULATED,
      DeduplicationScope: EMULATED,
      FifoThroughputLimit: EMULATED,
      VisibilityTimeout: EMULATED,
      MessageRetentionPeriod: EMULATED,
      DelaySeconds: EMULATED,
      MaximumMessageSize: EMULATED,
      ReceiveMessageWaitTimeSeconds: EMULATED,
      RedrivePolicy: EMULATED,
      RedriveAllowPolicy: EMULATED,
      SqsManagedSseEnabled: NO_ENCRYPTION,
      KmsMasterKeyId: NO_ENCRYPTION,
      KmsDataKeyReusePeriodSeconds: NO_ENCRYPTION,
      Tags: TAGS,
    },
  },
  'AWS::SNS::Topic': {
    emulation: 'a moto SNS topic (delivers to its SQS and HTTP subscriptions)',
    properties: {
      TopicName: EMULATED,
      FifoTopic: EMULATED,
      ContentBasedDeduplication: EMULATED,
      DisplayName: ignored('only shown in SMS and email deliveries'),
      KmsMasterKeyId: NO_ENCRYPTION,
      Tags: TAGS,
    },
  },
  'AWS::SNS::Subscription': {
    emulation: 'a moto SNS subscription (sqs and http protocols are delivered; others are accepted and not delivered)',
    properties: {
      TopicArn: EMULATED,
      Protocol: EMULATED,
      Endpoint: EMULATED,
      RawMessageDelivery: EMULATED,
      FilterPolicy: EMULATED,
      FilterPolicyScope: EMULATED,
      Region: ignored('one region locally'),
      RedrivePolicy: ignored('undeliverable SNS messages are dropped locally, not dead-lettered'),
    },
  },
  'AWS::SecretsManager::Secret': {
    emulation: 'a moto Secrets Manager secret (GenerateSecretString makes a value as AWS would)',
    properties: {
      Name: EMULATED,
      SecretString: EMULATED,
      GenerateSecretString: EMULATED,
      Description: ignored('a label'),
      KmsKeyId: NO_ENCRYPTION,
      Tags: TAGS,
    },
  },
  'AWS::S3::Bucket': {
    emulation: 'a moto S3 bucket (the webhook archive: the ingest writes it, txonce replay reads it)',
    properties: {
      BucketName: EMULATED,
      BucketEncryption: NO_ENCRYPTION,
      PublicAccessBlockConfiguration: ignored('moto listens on 127.0.0.1 only: nothing is public either way'),
      OwnershipControls: ignored('one local account owns every object'),
      LifecycleConfiguration: ignored('objects do not expire locally: moto keeps them while it runs'),
      Tags: TAGS,
    },
  },
  'AWS::Lambda::Function': {
    emulation:
      'Node.js processes (one per execution environment) running the function’s own asset bundle with its handler, timeout, memory and environment',
    properties: {
      Code: EMULATED,
      Handler: EMULATED,
      Runtime: EMULATED,
      Timeout: EMULATED,
      MemorySize: EMULATED,
      Environment: EMULATED,
      FunctionName: EMULATED,
      Role: EMULATED,
      Architectures: ignored('runs on this machine’s architecture'),
      LoggingConfig: ignored('the function’s log lines go to the local stack, which prints them readably'),
      TracingConfig: ignored('no X-Ray locally'),
      Description: ignored('a label'),
      Tags: TAGS,
      VpcConfig: ignored('no VPC locally: the function reaches every local endpoint'),
      EphemeralStorage: ignored('the function’s /tmp is this machine’s'),
    },
  },
  'AWS::Lambda::EventSourceMapping': {
    emulation:
      'a poller in the local stack: SQS (moto) or a DynamoDB Local stream, invoking the function as Lambda’s event source mapping does',
    properties: {
      FunctionName: EMULATED,
      EventSourceArn: EMULATED,
      Enabled: EMULATED,
      BatchSize: EMULATED,
      MaximumBatchingWindowInSeconds: EMULATED,
      ScalingConfig: EMULATED,
      FunctionResponseTypes: EMULATED,
      FilterCriteria: EMULATED,
      StartingPosition: EMULATED,
      MaximumRetryAttempts: EMULATED,
      BisectBatchOnFunctionError: EMULATED,
      DestinationConfig: EMULATED,
      ParallelizationFactor: EMULATED,
      Tags: TAGS,
    },
  },
  'AWS::ApiGateway::RestApi': {
    emulation: 'the local HTTP gateway (REST API, Lambda proxy integration)',
    properties: {
      Name: EMULATED,
      BinaryMediaTypes: EMULATED,
      Description: ignored('a label'),
      EndpointConfiguration: ignored('one local endpoint on 127.0.0.1'),
      Policy: NOT_ENFORCED,
      MinimumCompressionSize: ignored('responses are not compressed locally'),
      DisableExecuteApiEndpoint: ignored('the local endpoint is always on'),
      Tags: TAGS,
    },
  },
  'AWS::ApiGateway::Resource': {
    emulation: 'a path of the local HTTP gateway',
    properties: { ParentId: EMULATED, PathPart: EMULATED, RestApiId: EMULATED },
  },
  'AWS::ApiGateway::Method': {
    emulation: 'a route of the local HTTP gateway to its function, behind the method’s request validator',
    properties: {
      HttpMethod: EMULATED,
      ResourceId: EMULATED,
      RestApiId: EMULATED,
      Integration: EMULATED,
      AuthorizationType: EMULATED,
      RequestValidatorId: EMULATED,
      RequestModels: EMULATED,
      RequestParameters: EMULATED,
      ApiKeyRequired: EMULATED,
      OperationName: ignored('a label'),
      MethodResponses: ignored('the proxy integration passes the function’s response through'),
    },
  },
  'AWS::ApiGateway::RequestValidator': {
    emulation: 'the local gateway’s request validation (400 before the function runs)',
    properties: {
      RestApiId: EMULATED,
      Name: EMULATED,
      ValidateRequestBody: EMULATED,
      ValidateRequestParameters: EMULATED,
    },
  },
  'AWS::ApiGateway::Model': {
    emulation: 'the JSON schema the local gateway validates request bodies against (type, required, properties)',
    properties: {
      RestApiId: EMULATED,
      ContentType: EMULATED,
      Schema: EMULATED,
      Name: EMULATED,
      Description: ignored('a label'),
    },
  },
  'AWS::ApiGateway::Stage': {
    emulation: 'the local gateway serves the stage’s deployment directly',
    properties: {
      StageName: EMULATED,
      RestApiId: EMULATED,
      DeploymentId: EMULATED,
      MethodSettings: ignored('throttling is not emulated: the local gateway never answers 429'),
      TracingEnabled: ignored('no X-Ray locally'),
      AccessLogSetting: ignored('no access logs locally'),
      Description: ignored('a label'),
      Variables: EMULATED,
      Tags: TAGS,
    },
  },
  'Custom::AWS': {
    emulation: 'its Create call (an AWS SDK call) is made once against the local emulators',
    properties: {
      ServiceToken: ignored('the call is made by the local stack, not by the provider function'),
      Create: EMULATED,
      Update: ignored('the local stack only creates'),
      Delete: ignored('the local stack only creates'),
      InstallLatestAwsSdk: ignored('the repository’s SDK is used'),
    },
  },
};

/** IAM is not a resource that runs, but the local stack evaluates it (local/iam/, docs/local-emulation.md). */
const IAM_EVALUATED = 'no resource locally; evaluated for every call of the functions (IAM, enforced)';

/** Types the local stack deliberately does not emulate, and why that is fine (or what it means). */
export const IGNORED_TYPES: Record<string, string> = {
  'AWS::IAM::Role': IAM_EVALUATED,
  'AWS::IAM::Policy': IAM_EVALUATED,
  'AWS::IAM::ManagedPolicy': IAM_EVALUATED,
  'AWS::Lambda::Permission':
    'who may invoke a function is not checked locally: the local sources invoke it as the template wires them',
  'AWS::SQS::QueuePolicy': IAM_EVALUATED,
  'AWS::SNS::TopicPolicy': IAM_EVALUATED,
  'AWS::SecretsManager::ResourcePolicy': IAM_EVALUATED,
  'AWS::S3::BucketPolicy':
    'resource policies are not enforced locally (the TLS-only rule included: local endpoints are http)',
  'AWS::Logs::LogGroup': 'function logs go to the local stack, which prints them readably',
  'AWS::Logs::MetricFilter': 'no CloudWatch locally: metrics are not computed',
  'AWS::CloudWatch::Alarm': 'no CloudWatch locally: alarms are not evaluated',
  'AWS::CloudWatch::Dashboard': 'no CloudWatch locally',
  'AWS::KMS::Key':
    'no encryption at rest locally; its key policy is evaluated for the functions’ calls on what it encrypts',
  'AWS::KMS::Alias': 'no encryption at rest locally',
  'AWS::CDK::Metadata': 'the CDK’s own bookkeeping',
  'AWS::ApiGateway::Deployment': 'the local gateway serves the methods as they are in the template',
  'AWS::ApiGateway::Account': 'API Gateway’s CloudWatch role: no CloudWatch locally',
  'AWS::WAFv2::WebACLAssociation': 'no WAF locally: requests the web ACL would block reach the function',
};

export interface TemplateCheck {
  /** what is ignored, and why: printed at start so nothing is ignored silently */
  notes: string[];
}

/**
 * Checks every resource of a template against the map above: returns the notes (what is
 * ignored and why), or throws one UnsupportedResourceError naming every resource type and
 * property the local stack does not know.
 */
export function checkTemplate(
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>,
): TemplateCheck {
  const problems: UnsupportedResourceError['problems'] = [];
  const ignoredTypes = new Map<string, string[]>();
  const ignoredProperties = new Map<string, Set<string>>();
  for (const [id, resource] of Object.entries(resources)) {
    const emulated = EMULATED_TYPES[resource.Type];
    if (!emulated) {
      if (resource.Type in IGNORED_TYPES)
        ignoredTypes.set(resource.Type, [...(ignoredTypes.get(resource.Type) ?? []), id]);
      else
        problems.push({
          resource: id,
          type: resource.Type,
          why: 'this resource type is not emulated locally (it matters: the local stack would run without it)',
        });
      continue;
    }
    for (const property of Object.keys(resource.Properties ?? {})) {
      const handling = emulated.properties[property];
      if (handling === undefined)
        problems.push({
          resource: id,
          type: resource.Type,
          property,
          why: 'this property is not emulated locally (it matters: the local resource would behave differently)',
        });
      else if (handling !== EMULATED) {
        const key = `${resource.Type} ${property}: ${handling.ignored}`;
        ignoredProperties.set(key, new Set([...(ignoredProperties.get(key) ?? []), id]));
      }
    }
  }
  if (problems.length > 0) throw new UnsupportedResourceError(problems);
  return {
    notes: [
      ...[...ignoredTypes].map(([type, ids]) => `${type} (${ids.length}): ${IGNORED_TYPES[type]}`),
      ...[...ignoredProperties.keys()],
    ],
  };
}

/** A value the emulation of an otherwise known property does not cover (e.g. a Kinesis event source). */
export function unsupportedValue(resource: string, type: string, property: string, why: string): never {
  throw new UnsupportedResourceError([{ resource, type, property, why: `${why} (it matters)` }]);
}
