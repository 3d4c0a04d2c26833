import { register } from 'node:module';

register('./sdk-hooks.mjs', import.meta.url, { data: { sdkRoot: process.env.TXONCE_SDK_ROOT } });
