export { TaxiiModule } from './taxii.module.js';
export {
  alertObjects,
  bundleOf,
  FEDERATION_IDENTITY_ID,
  KEYED_TOKEN_EXTENSION_ID,
  sharedObjects,
  type AlertFacts,
  type StixObject,
} from './stix/alert-objects.js';
export { TAXII_MEDIA_TYPE } from './media-type.js';
