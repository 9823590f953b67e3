// A start-up that cannot go on, in one line for the operator (main.ts prints it and exits).

export class StartupRefusal extends Error {
  override name = "StartupRefusal";
}
