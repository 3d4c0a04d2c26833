import { App } from 'aws-cdk-lib';
import { TxonceStack } from './stack.js';

const app = new App();
const stage = app.node.tryGetContext('stage') ?? 'dev';
new TxonceStack(app, `txonce-${stage}`, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
