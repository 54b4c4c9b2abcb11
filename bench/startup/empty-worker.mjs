// The empty Worker the README's Worker is compared with in workerd.
export default { fetch: () => new Response("hello") };
