export * from './acknowledgements';
