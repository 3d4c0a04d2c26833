import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { WebhookScheme } from 'txonce/cdk';
import { TxonceStack } from './stack.js';

const app = new App();
const context = (name: string): string | undefined => app.node.tryGetContext(name);
const stage = context('stage') ?? 'dev';

new TxonceStack(app, `txonce-${stage}`, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  scheme: (context('scheme') ?? 'standard-webhooks') as WebhookScheme,
  source: context('source'),
  fifo: context('fifo') === 'true',
  alarmEmail: context('alarmEmail'),
  destroyData: String(context('destroyData')) === 'true',
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
