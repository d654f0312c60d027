import { describe, expectTypeOf, it } from 'vitest';
import type { Event, PropValue as ProtocolPropValue, Revenue as ProtocolRevenue } from '@pulse/protocol';
import type { PropValue, Revenue, SdkEvent } from './types.js';

// The SDK keeps its own types (the package depends on nothing); tsc proves here
// that they stay within the protocol's.
describe('types', () => {
  it('sends events, props and revenue the protocol accepts', () => {
    expectTypeOf<SdkEvent>().toExtend<Event>();
    expectTypeOf<PropValue>().toEqualTypeOf<ProtocolPropValue>();
    expectTypeOf<Revenue>().toEqualTypeOf<ProtocolRevenue>();
  });
});
