export { TaxiiModule } from './taxii.module.js';
export { alertObjects, bundleOf, sharedObjects, type StixObject } from './stix/alert-objects.js';
