import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { publicJwkProblem } from './public-jwk.js';

/** class-validator rule `isPublicJwk`: the message says exactly what is wrong with the key. */
export function IsPublicJwk(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isPublicJwk',
      target: target.constructor,
      propertyName: String(propertyName),
      options,
      validator: {
        validate: (value: unknown) => publicJwkProblem(value) === undefined,
        defaultMessage: (args?: ValidationArguments) =>
          `${args?.property ?? 'publicJwk'} ${publicJwkProblem(args?.value) ?? 'must be a public JWK'}`,
      },
    });
  };
}
