import { Field, InputType } from '@nestjs/graphql';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsString, Matches } from 'class-validator';

@InputType({ description: 'Template signatures the member no longer holds, named by the externalRef it gave them.' })
export class RetractTemplateSignaturesInput {
  @Field(() => [String], {
    description:
      "The externalRefs, 1 to 10,000; every live signature of this member with one of them is retracted (others' are never touched).",
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(10_000)
  @IsString({ each: true })
  @Matches(/^[^\p{Cc}\p{Cs}]{1,256}$/u, { each: true, message: 'externalRefs must be 1-256 printable characters each' })
  externalRefs: string[];
}
