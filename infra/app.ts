import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { readAppContext } from './app-context.js';
import { TxonceStack } from './stack.js';

const app = new App();
const { stage, ...settings } = readAppContext((name) => app.node.tryGetContext(name));

new TxonceStack(app, `txonce-${stage}`, {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  ...settings,
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
