namespace Fal;
internal static class Placeholder { }
