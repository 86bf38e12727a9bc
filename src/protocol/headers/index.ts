export * as NamesrvHeaders from './namesrv.js';
